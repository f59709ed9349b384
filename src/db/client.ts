import { Database } from "bun:sqlite";
import { type BunSQLiteDatabase, drizzle } from "drizzle-orm/bun-sqlite";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import * as schema from "./schema.ts";

export type Db = BunSQLiteDatabase<typeof schema>;
/** A transaction handle as drizzle passes it; services accept either. */
export type Tx = Parameters<Parameters<Db["transaction"]>[0]>[0];

export interface OpenDatabase {
  /** The raw handle: PRAGMAs, migrations, backups. Services use `db`. */
  sqlite: Database;
  db: Db;
  /** One read transaction for the reads of the current task (see ReadSnapshot). */
  snapshot: ReadSnapshot;
  close(): void;
}

const SNAPSHOT = Symbol("coc.readSnapshot");

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
 * lock is taken once for all. What it reads is committed data no older than the turn. A write on
 * this connection ends the snapshot first, so later reads see it.
 */
export class ReadSnapshot {
  #open = false;

  constructor(private readonly sqlite: Database) {
    (sqlite as Database & { [SNAPSHOT]?: ReadSnapshot })[SNAPSHOT] = this;
  }

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

/** Ends the snapshot open on `sqlite`, before a write takes the write lock. */
function endSnapshot(sqlite: Database): void {
  (sqlite as Database & { [SNAPSHOT]?: ReadSnapshot })[SNAPSHOT]?.end();
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
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    privateFile(path);
  }
  const sqlite = new Database(path, { create: true });
  sqlite.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
  if (path !== ":memory:") sqlite.run("PRAGMA journal_mode = WAL");
  sqlite.run("PRAGMA synchronous = FULL");
  sqlite.run("PRAGMA foreign_keys = ON");
  // SQLite's default page cache is 2 MiB: a community of 60,000 members has ~60 MiB of pages, and
  // every miss is a read system call (measured: the token check of a random member 9.9 µs → 6.8 µs).
  sqlite.run(`PRAGMA cache_size = -${PAGE_CACHE_KIB}`);
  const db = drizzle({ client: sqlite, schema });
  const snapshot = new ReadSnapshot(sqlite);
  let closed = false;
  return {
    sqlite,
    db,
    snapshot,
    close() {
      if (closed) return;
      closed = true;
      snapshot.end();
      // Folding the WAL back into the main file leaves one self-contained file behind.
      if (path !== ":memory:") {
        try {
          sqlite.run("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch {
          // Another process holds the database; it will checkpoint.
        }
      }
      sqlite.close();
    },
  };
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

/**
 * Runs `work` in a `BEGIN IMMEDIATE` transaction: the write lock is taken up front, so two
 * processes never both read and then fail to upgrade to a write. `work` must be synchronous.
 */
export function writeTransaction<T>(db: Db, work: (tx: Tx) => T): T {
  endSnapshot((db as unknown as { $client: Database }).$client);
  return db.transaction((tx) => {
    const result = work(tx);
    if (result instanceof Promise) {
      throw new Error("writeTransaction: the work must be synchronous (no await inside a transaction)");
    }
    return result;
  }, { behavior: "immediate" });
}
