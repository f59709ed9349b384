import type { Database, Statement as SqliteStatement } from "bun:sqlite";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import type * as schema from "./schema.ts";

/** drizzle over the tables of schema.ts (SQLite's builder; on Postgres the same tables map to the same columns). */
export type Db = BunSQLiteDatabase<typeof schema>;

export type Awaitable<T> = T | Promise<T>;

/**
 * One SQL statement, written for each engine. Both texts answer rows of the same shape: every
 * column is stored alike on both (times as epoch milliseconds, flags as 0/1, JSON as text), and the
 * Postgres text casts what Postgres would answer otherwise (`count(*)::int`, booleans `::int`).
 * Values of int8 columns (times) arrive from Postgres as strings: mappers read them with Number().
 */
export interface Sql<Row, Params extends unknown[]> {
  readonly sqlite: string;
  readonly pg: string;
  /** Types only. */
  readonly shape?: { row: Row; params: Params };
}

/** A statement for both engines (see Sql). */
export function statement<Row, Params extends unknown[] = []>(texts: { sqlite: string; pg: string }): Sql<Row, Params> {
  return texts;
}

/**
 * A connection (or a unit's transaction) as the services see it, whichever the engine: drizzle's
 * query builder (every query awaited: it is synchronous on SQLite, a round trip on Postgres) and
 * the hand-written statements of the busy paths.
 */
export interface Store {
  readonly engine: "sqlite" | "postgres";
  /** drizzle over this connection. Typed with the SQLite schema's tables; on Postgres the same tables map to the same columns. */
  readonly db: Db;
  one<R, P extends unknown[]>(statement: Sql<R, P>, ...params: P): Awaitable<R | undefined>;
  many<R, P extends unknown[]>(statement: Sql<R, P>, ...params: P): Awaitable<R[]>;
  run<P extends unknown[]>(statement: Sql<unknown, P>, ...params: P): Awaitable<void>;
  /** Starts the read transaction of this turn if none is open (SQLite; nothing on Postgres, see ReadSnapshot). */
  enter(): void;
}

/** A unit of work's handle: its statements run in its transaction (and, on SQLite, its savepoint). */
export type Tx = Store;

/** The first row of a drizzle query's answer. */
export function first<T>(rows: readonly T[]): T | undefined {
  return rows[0];
}

/** A Store over one SQLite connection: each statement prepared once, answered synchronously. */
export class SqliteStore implements Store {
  readonly engine = "sqlite" as const;
  readonly #prepared = new WeakMap<Sql<unknown, unknown[]>, SqliteStatement>();

  constructor(
    readonly sqlite: Database,
    readonly db: Db,
    private readonly snapshot: { enter(): void } | null,
  ) {}

  #statement(statement: Sql<unknown, unknown[]>): SqliteStatement {
    let prepared = this.#prepared.get(statement);
    if (!prepared) {
      if (!statement.sqlite) throw new Error(`a Postgres-only statement was run on SQLite: ${statement.pg.slice(0, 60)}`);
      prepared = this.sqlite.prepare(statement.sqlite);
      this.#prepared.set(statement, prepared);
    }
    return prepared;
  }

  one<R, P extends unknown[]>(statement: Sql<R, P>, ...params: P): R | undefined {
    return (this.#statement(statement as Sql<unknown, unknown[]>).get(...(params as unknown as never[])) as R | null) ?? undefined;
  }

  many<R, P extends unknown[]>(statement: Sql<R, P>, ...params: P): R[] {
    return this.#statement(statement as Sql<unknown, unknown[]>).all(...(params as unknown as never[])) as R[];
  }

  run<P extends unknown[]>(statement: Sql<unknown, P>, ...params: P): void {
    this.#statement(statement as Sql<unknown, unknown[]>).run(...(params as unknown as never[]));
  }

  enter(): void {
    this.snapshot?.enter();
  }
}
