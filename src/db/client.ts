import { Database, type Statement } from "bun:sqlite";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import * as schema from "./schema.ts";
import { type Db, SqliteStore } from "./store.ts";
import { SqliteWriter } from "./writer.ts";

export type { Db } from "./store.ts";
export type { Tx, Unit } from "./writer.ts";

export interface OpenDatabase {
  /** The write connection, raw: PRAGMAs, migrations, backups. Writes go through `writer`. */
  sqlite: Database;
  /**
   * Reads: a connection of their own on a file, which sees only committed data (WAL); in memory,
   * the one connection. Its reads of one turn share a read transaction (see ReadSnapshot).
   */
  reader: SqliteStore;
  /** The only way to write: units of work, group-committed (see SqliteWriter). */
  writer: SqliteWriter;
  /** Commits what is queued, then closes; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Planner-blind parameters: how raw statements with ORDER BY or LIMIT write their parameters:
 * `+?` (or `+$name`), never a bare `?`. SQLite (3.54 here) lets the query planner look at the value
 * bound to a parameter it compares in an ordered scan or uses as a LIMIT, and then recompiles the
 * statement on the first step after every new binding — that is, on every request. A unary plus
 * hides the value from the planner (the index is still used for `user_id = +?`), and the prepared
 * plan is kept. Measured on the recent check-ins read: 6.1 µs → 1.6 µs; a followers page 13.8 µs →
 * 0.9 µs (`bun run bench statements` shows each statement both ways).
 */

/**
 * The reads of one turn of the event loop (every request whose synchronous part runs in it: the
 * guard's and the routes' reads) in one read transaction, ended when the turn is over
 * (setImmediate). A statement outside a transaction takes and releases SQLite's shared lock —
 * two fcntl and an fstat, ~8 µs of CPU here against ~2 µs for the read itself; inside one, the
 * lock is taken once for all. What it reads is committed data no older than the turn. The writer
 * ends it before and after each batch, so reads after a write see it.
 */
export class ReadSnapshot {
  #open = false;

  constructor(private readonly sqlite: Database) {}

  /** Opens the snapshot unless one (or a write transaction) is open. */
  enter(): void {
    if (this.#open || this.sqlite.inTransaction) return;
    this.sqlite.run("BEGIN");
    this.#open = true;
    setImmediate(() => this.end());
  }

  /** Ends the snapshot, if one is open. */
  end(): void {
    if (!this.#open) return;
    this.#open = false;
    if (this.sqlite.inTransaction) this.sqlite.run("COMMIT");
  }
}

/** The page cache per connection (KiB): room for a large community's hot pages. */
export const PAGE_CACHE_KIB = 64 * 1024;

/** How long a writer waits for another process's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating if needed) the SQLite file with the settings every process must share:
 * WAL so readers never block the writer, foreign keys on, a busy timeout so the server and a CLI
 * process queue for the write lock instead of failing, and synchronous=FULL so a committed XP
 * credit survives a power cut.
 */
export function openDatabase(path: string): OpenDatabase {
  const inMemory = path === ":memory:";
  if (!inMemory) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    privateFile(path);
  }
  const sqlite = connect(path);
  if (!inMemory) sqlite.run("PRAGMA journal_mode = WAL");
  // A database in memory exists only on its one connection: it reads and writes there.
  const readSqlite = inMemory ? sqlite : connect(path);
  // The reader can never write, even by mistake: every write is a unit of the writer.
  if (!inMemory) readSqlite.run("PRAGMA query_only = ON");
  const snapshot = new ReadSnapshot(readSqlite);
  const reader = new SqliteStore(readSqlite, queryBuilder(readSqlite), snapshot);
  const writer = new SqliteWriter(sqlite, inMemory ? reader.db : queryBuilder(sqlite), { around: () => snapshot.end() });
  let closing: Promise<void> | undefined;
  return {
    sqlite,
    reader,
    writer,
    close() {
      closing ??= closeAll();
      return closing;
    },
  };

  async function closeAll(): Promise<void> {
    await writer.close();
    snapshot.end();
    if (readSqlite !== sqlite) readSqlite.close();
    // Folding the WAL back into the main file leaves one self-contained file behind.
    if (!inMemory) {
      try {
        sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
      } catch {
        // Another process holds the database; it will checkpoint.
      }
    }
    sqlite.close();
  }
}

/** A connection with the settings every connection of every process shares. */
function connect(path: string): Database {
  const sqlite = new Database(path, { create: true });
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  sqlite.run("PRAGMA synchronous = FULL");
  sqlite.run("PRAGMA foreign_keys = ON");
  // SQLite's default page cache is 2 MiB: a community of 60,000 members has ~60 MiB of pages, and
  // every miss is a read system call (measured: the token check of a random member 9.9 µs → 6.8 µs).
  sqlite.run(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
  return sqlite;
}

/** Statements kept per connection for drizzle's queries (see queryBuilder). */
const MAX_CACHED_STATEMENTS = 512;

/**
 * drizzle over `sqlite`, its statements compiled once. drizzle prepares every query it is not
 * given prepared (a compile of ~10 µs and more each time); its SQL is parameterised, so the texts
 * are few and each one's statement is kept (oldest dropped past 512). A statement is always run
 * to the end before the next query (all of it is synchronous), so one can be reused.
 */
function queryBuilder(sqlite: Database): Db {
  const cache = new Map<string, Statement>();
  const client = {
    prepare(sql: string): Statement {
      let statement = cache.get(sql);
      if (statement === undefined) {
        statement = sqlite.prepare(sql);
        if (cache.size >= MAX_CACHED_STATEMENTS) cache.delete(cache.keys().next().value!);
        cache.set(sql, statement);
      }
      return statement;
    },
    exec: (sql: string) => sqlite.run(sql),
    run: (sql: string) => sqlite.run(sql),
  };
  return drizzle({ client: client as unknown as Database, schema });
}

/**
 * Makes `path` readable by its owner only (0600), creating it empty when missing, whatever the
 * folder's mode or the umask. The database holds password hashes and tokens' hashes; SQLite
 * creates its -wal and -shm files with the database file's mode, and loose ones left by an older
 * version are tightened too.
 */
export function privateFile(path: string): void {
  closeSync(openSync(path, "a", 0o600));
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    if (existsSync(file) && (statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  }
}
