import { SQL } from "bun";
import { drizzle } from "drizzle-orm/bun-sql";
import type { Logger } from "../log.ts";
import type { Db } from "./store.ts";
import { embeddedMigrations, type Migration, MigrationError, type MigrationResult } from "./migrate.ts";
import type { Sql, Store, Tx } from "./store.ts";
import { BatchTally, type Unit, type Writer, type WriterStats } from "./writer.ts";

/** What Bun's SQL client answers: a pooled client, a reserved connection or a transaction. */
type Client = Pick<SQL, "unsafe">;

/**
 * drizzle over a Postgres client, typed as the SQLite one: the tables of src/db/schema.ts map to
 * the same columns on Postgres (see schema-pg.ts), and every query is awaited either way.
 */
function queryBuilder(client: Client): Db {
  return drizzle({ client: client as SQL }) as unknown as Db;
}

/** A Store over Postgres: the pool (reads), or one unit's transaction. */
export class PgStore implements Store {
  readonly engine = "postgres" as const;
  #db: Db | undefined;

  constructor(private readonly client: Client) {}

  /** drizzle over this client, made on first use: a unit of only hand-written statements never pays for it. */
  get db(): Db {
    this.#db ??= queryBuilder(this.client);
    return this.#db;
  }

  async one<R, P extends unknown[]>(statement: Sql<R, P>, ...params: P): Promise<R | undefined> {
    const rows = (await this.client.unsafe(statement.pg, params)) as R[];
    return rows[0];
  }

  async many<R, P extends unknown[]>(statement: Sql<R, P>, ...params: P): Promise<R[]> {
    return [...((await this.client.unsafe(statement.pg, params)) as R[])];
  }

  async run<P extends unknown[]>(statement: Sql<unknown, P>, ...params: P): Promise<void> {
    await this.client.unsafe(statement.pg, params);
  }

  enter(): void {
    // Each read is a statement of its own on Postgres: there is no lock to share across a turn.
  }
}

/**
 * SQLSTATEs after which a unit is run again, and how many times it is tried in all: a
 * serialization failure (a row it writes was changed since its snapshot) or a deadlock, as often as
 * it takes; a unique violation a few times — a unit checks before it inserts, so a violation means
 * a concurrent unit inserted first, and the run again sees its row and answers as the unit would
 * have (409 `username_taken`, …) instead of a 500.
 */
const RETRYABLE: Record<string, number> = { "40001": 40, "40P01": 40, "23505": 3 };

/** The SQLSTATE of a Postgres error, also when drizzle wrapped it (as the cause of its own). */
function sqlState(error: unknown): string | undefined {
  for (let cause = error, depth = 0; cause && depth < 4; cause = (cause as { cause?: unknown }).cause, depth++) {
    const errno = (cause as { errno?: unknown }).errno;
    if (typeof errno === "string") return errno;
  }
  return undefined;
}

/**
 * Every unit in a REPEATABLE READ transaction of its own (one snapshot for all its reads), run
 * again with a short random wait when Postgres refuses it (see RETRYABLE). So the rules SQLite gets
 * from its one writer hold here by Postgres's own means, whatever the instance:
 * - a unit that writes a row another unit changed after its snapshot fails and runs again on fresh
 *   data (first updater wins): no lost update of a balance, an order's state, a streak, a token;
 * - every rule that spans rows is tied to one row all its units write (the profile: XP, streak,
 *   freezes, referral credit) or to a unique index (one check-in per user and day, one ledger entry
 *   per source and reference, one order credit, names);
 * - the busy rows are read FOR UPDATE at a unit's start: units on one row wait for each other there,
 *   and the one that must run again learns it before doing any other work.
 * SERIALIZABLE was tried first: its predicate locks on small tables' index pages made check-ins of
 * *different* users conflict (48 at once failed even after 12 tries each).
 * Postgres groups concurrent commits' fsyncs itself.
 */
export class PostgresWriter implements Writer {
  #closed = false;
  #running = 0;
  #idle: (() => void) | null = null;
  /** Every unit is a commit of its own: a "batch" of one. */
  readonly #tally = new BatchTally();
  /** Units run again after a serialization failure or a deadlock. */
  retries = 0;

  constructor(
    private readonly sql: SQL,
    private readonly log: Logger,
  ) {}

  async run<T>(work: Unit<T>): Promise<T> {
    if (this.#closed) throw new Error("the database is closed");
    this.#running++;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const value = await this.sql.begin("isolation level repeatable read", async (client) => work(new PgStore(client) as Tx));
          this.#count(false);
          return value as T;
        } catch (error) {
          const state = sqlState(error);
          const attempts = state ? (RETRYABLE[state] ?? 1) : 1;
          if (attempt < attempts) {
            this.retries++;
            await Bun.sleep(Math.random() * Math.min(2 ** attempt, 25));
            continue;
          }
          this.#count(true);
          if (attempts > 1) this.log.warn("a unit of work kept conflicting with concurrent ones", { attempts: attempt, sqlstate: state });
          throw error;
        }
      }
    } finally {
      this.#running--;
      if (this.#running === 0) this.#idle?.();
    }
  }

  #count(failed: boolean): void {
    this.#tally.count(1, failed ? 1 : 0, false);
  }

  async flush(): Promise<void> {
    if (this.#running === 0) return;
    await new Promise<void>((resolve) => (this.#idle = resolve));
  }

  observe(observer: (size: number, failedUnits: number, batchFailed: boolean) => void): void {
    this.#tally.observe(observer);
  }

  stats(): WriterStats {
    return this.#tally.stats();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}

/** The advisory lock every instance takes to migrate: ten starting at once migrate once. */
const MIGRATION_LOCK = 7_016_301_601;

/**
 * Brings a Postgres database up to the newest migration, in one transaction, under an advisory
 * lock. The table and rows are drizzle's own (`drizzle.__drizzle_migrations`), so drizzle-kit agrees.
 * A database written by a newer version is refused.
 */
export async function migratePostgres(sql: SQL, migrations: Migration[] = embeddedMigrations("postgres")): Promise<MigrationResult> {
  const connection = await sql.reserve();
  try {
    await connection.unsafe(`SELECT pg_advisory_lock(${MIGRATION_LOCK})`);
    try {
      await connection.unsafe("CREATE SCHEMA IF NOT EXISTS drizzle");
      await connection.unsafe("CREATE TABLE IF NOT EXISTS drizzle.__drizzle_migrations (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)");
      const [last] = (await connection.unsafe("SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1")) as { created_at: string }[];
      const lastWhen = last ? Number(last.created_at) : Number.NEGATIVE_INFINITY;
      const newest = migrations.at(-1);
      if (newest && lastWhen > newest.when) {
        throw new MigrationError("the database was upgraded by a newer version of coc; run that version (or restore a backup)");
      }
      const pending = migrations.filter((migration) => migration.when > lastWhen);
      if (pending.length > 0) {
        await connection.unsafe("BEGIN");
        try {
          for (const migration of pending) {
            for (const statement of migration.statements) await connection.unsafe(statement);
            await connection.unsafe("INSERT INTO drizzle.__drizzle_migrations (hash, created_at) VALUES ($1, $2)", [migration.hash, migration.when]);
          }
          await connection.unsafe("COMMIT");
        } catch (error) {
          await connection.unsafe("ROLLBACK");
          throw error;
        }
      }
      const current = migrations.filter((migration) => migration.when <= Math.max(lastWhen, newest?.when ?? lastWhen)).at(-1);
      return { applied: pending.map((migration) => migration.tag), current: current?.tag ?? null };
    } finally {
      await connection.unsafe(`SELECT pg_advisory_unlock(${MIGRATION_LOCK})`);
    }
  } finally {
    connection.release();
  }
}

/** An open Postgres database: the pool (reads), the writer, and what only the server needs. */
export interface OpenPostgres {
  sql: SQL;
  reader: PgStore;
  writer: PostgresWriter;
  close(): Promise<void>;
}

/** Opens a pool of at most `poolSize` connections (COC_DATABASE_POOL); nothing is asked of the server until the first query. */
export function openPostgres(url: string, log: Logger, poolSize = 20): OpenPostgres {
  const sql = new SQL({ url, max: poolSize, idleTimeout: 30 });
  const reader = new PgStore(sql);
  const writer = new PostgresWriter(sql, log);
  let closing: Promise<void> | undefined;
  return {
    sql,
    reader,
    writer,
    close() {
      closing ??= (async () => {
        await writer.close();
        await sql.close();
      })();
      return closing;
    },
  };
}

/** A start-up the configuration does not allow (several instances without Redis). */
export class StartupError extends Error {
  override name = "StartupError";
}

/** The advisory lock that tells instances apart: shared with Redis, alone without it. */
const INSTANCE_LOCK = 7_016_301_602;

/**
 * Claims this database for a `coc serve`: with Redis (chat and throttles shared), a shared claim any
 * number of instances hold together; without it, a sole claim — a second instance without Redis
 * would split the chat and the throttles silently, so it is refused at start-up, naming what is
 * missing. Held on a connection of its own until `release`.
 */
export async function claimInstance(sql: SQL, withRedis: boolean): Promise<{ release(): Promise<void> }> {
  const connection = await sql.reserve();
  const fn = withRedis ? "pg_try_advisory_lock_shared" : "pg_try_advisory_lock";
  const [row] = (await connection.unsafe(`SELECT ${fn}(${INSTANCE_LOCK}) AS ok`)) as { ok: boolean }[];
  if (!row?.ok) {
    connection.release();
    throw new StartupError(
      withRedis
        ? "another coc instance runs on this database without Redis; give every instance the same COC_REDIS_URL"
        : "another coc instance already runs on this database: several instances need COC_REDIS_URL (shared chat and throttles); set it on every instance",
    );
  }
  return {
    async release() {
      try {
        await connection.unsafe(`SELECT pg_advisory_unlock_all()`);
      } finally {
        connection.release();
      }
    },
  };
}
