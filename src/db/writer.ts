import type { Database } from "bun:sqlite";
import { type Awaitable, type Db, SqliteStore, type Tx } from "./store.ts";

export type { Tx } from "./store.ts";

/**
 * A unit of work: statements on `tx` only, each awaited. It may be written asynchronously (on
 * Postgres every statement is a round trip), but it awaits nothing else: the writer runs one unit
 * at a time, so no other unit's statements come between its own.
 */
export type Unit<T> = (tx: Tx) => Awaitable<T>;

interface Queued {
  work: Unit<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

/** Batch sizes seen so far: how much each commit (one fsync) carried. */
export interface WriterStats {
  batches: number;
  units: number;
  /** Units that threw and were rolled back alone. */
  failedUnits: number;
  /** Batches whose transaction could not begin or commit: every unit in them failed. */
  failedBatches: number;
  largestBatch: number;
  /** Batches by size: "1", "2-3", "4-7", … "64+". */
  sizes: Record<string, number>;
}

const SIZE_BUCKETS = ["1", "2-3", "4-7", "8-15", "16-31", "32-63", "64+"] as const;

function bucketOf(size: number): (typeof SIZE_BUCKETS)[number] {
  return SIZE_BUCKETS[Math.min(SIZE_BUCKETS.length - 1, Math.floor(Math.log2(size)))]!;
}

/** What a writer observes of its commits: the observers (metrics) and the totals (`stats`). */
export class BatchTally {
  readonly #observers: ((size: number, failedUnits: number, batchFailed: boolean) => void)[] = [];
  readonly #stats: WriterStats = { batches: 0, units: 0, failedUnits: 0, failedBatches: 0, largestBatch: 0, sizes: Object.fromEntries(SIZE_BUCKETS.map((b) => [b, 0])) };

  /** One commit (or a batch that failed whole) of `size` units, `failed` of them rolled back alone. */
  count(size: number, failed: number, batchFailed: boolean): void {
    for (const observe of this.#observers) observe(size, failed, batchFailed);
    const stats = this.#stats;
    stats.batches++;
    stats.units += size;
    stats.failedUnits += batchFailed ? 0 : failed;
    if (batchFailed) stats.failedBatches++;
    stats.largestBatch = Math.max(stats.largestBatch, size);
    stats.sizes[bucketOf(size)]!++;
  }

  observe(observer: (size: number, failedUnits: number, batchFailed: boolean) => void): void {
    this.#observers.push(observer);
  }

  stats(): WriterStats {
    return { ...this.#stats, sizes: { ...this.#stats.sizes } };
  }
}

/** The one way to write, whichever the engine. */
export interface Writer {
  /** Runs `work` as one unit; settles once it is committed (durable) or failed. */
  run<T>(work: Unit<T>): Promise<T>;
  /** Commits what is queued now (SQLite; Postgres commits each unit as it runs). */
  flush(): Promise<void>;
  /** Calls `observer` after every commit with its size in units and its failures (metrics). */
  observe(observer: (size: number, failedUnits: number, batchFailed: boolean) => void): void;
  stats(): WriterStats;
  /** Commits what is queued and refuses further units. */
  close(): Promise<void>;
}

/**
 * The one writer of a SQLite database connection, with group commit. Every write of the product is a
 * unit handed to `run`; the writer takes every unit queued at that moment (those that arrived in
 * the same turn of the event loop, and all that arrived while the previous batch was committing),
 * runs them in one `BEGIN IMMEDIATE` transaction, each inside its own SAVEPOINT — a unit that
 * throws is rolled back alone and its caller gets its error — and commits once: one fsync
 * (synchronous=FULL) for the whole batch. Only then does any caller hear back, so an answered
 * write is a durable one. Units run in the order they were handed in.
 *
 * Other processes on the same file (the CLI beside a running server) take the same write lock
 * through SQLite, waiting up to the busy timeout.
 */
export class SqliteWriter implements Writer {
  #queue: Queued[] = [];
  #scheduled = false;
  #flushing: Promise<void> | null = null;
  #closed = false;
  readonly #tally = new BatchTally();
  readonly #tx: SqliteStore;
  readonly #begin;
  readonly #commit;
  readonly #rollback;
  readonly #savepoint;
  readonly #release;
  readonly #rollbackTo;

  constructor(
    /** The write connection (raw): migrations, backups, PRAGMAs. */
    readonly sqlite: Database,
    /** The write connection's query builder (fixtures of tests; units get theirs through `tx`). */
    readonly db: Db,
    private readonly hooks: {
      /** Before a batch begins and after it ends: the read snapshot must not hide the batch's writes. */
      around?: () => void;
    } = {},
  ) {
    this.#tx = new SqliteStore(sqlite, db, null);
    this.#begin = sqlite.prepare("BEGIN IMMEDIATE");
    this.#commit = sqlite.prepare("COMMIT");
    this.#rollback = sqlite.prepare("ROLLBACK");
    this.#savepoint = sqlite.prepare("SAVEPOINT unit");
    this.#release = sqlite.prepare("RELEASE unit");
    this.#rollbackTo = sqlite.prepare("ROLLBACK TO unit");
  }

  /** Runs `work` as one unit of the next batch; settles once the batch is committed (durable) or failed. */
  run<T>(work: Unit<T>): Promise<T> {
    if (this.#closed) return Promise.reject(new Error("the database is closed"));
    return new Promise<T>((resolve, reject) => {
      this.#queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!this.#scheduled && !this.#flushing) {
        this.#scheduled = true;
        // After the I/O of this turn: every request read in it joins the batch.
        setImmediate(() => void this.flush());
      }
    });
  }

  /** Commits every queued unit now, batch after batch (at shutdown; otherwise the writer schedules itself). */
  flush(): Promise<void> {
    this.#scheduled = false;
    this.#flushing ??= (async () => {
      try {
        while (this.#queue.length > 0) {
          const batch = this.#queue;
          this.#queue = [];
          const outcomes = await this.#commitBatch(batch);
          // Callers hear back only now, in the order their units ran.
          for (let i = 0; i < batch.length; i++) {
            const outcome = outcomes[i]!;
            if (outcome.ok) batch[i]!.resolve(outcome.value);
            else batch[i]!.reject(outcome.error);
          }
        }
      } finally {
        this.#flushing = null;
      }
    })();
    return this.#flushing;
  }

  async #commitBatch(batch: Queued[]): Promise<Outcome[]> {
    this.hooks.around?.();
    try {
      this.#begin.run();
    } catch (error) {
      this.#count(batch.length, batch.length, true);
      return batch.map(() => ({ ok: false as const, error }));
    }
    const outcomes: Outcome[] = [];
    let failed = 0;
    try {
      for (const unit of batch) {
        this.#savepoint.run();
        try {
          const value = await unit.work(this.#tx);
          this.#release.run();
          outcomes.push({ ok: true, value });
        } catch (error) {
          this.#rollbackTo.run();
          this.#release.run();
          failed++;
          outcomes.push({ ok: false, error });
        }
      }
      this.#commit.run();
    } catch (error) {
      // The transaction itself failed (commit, or a savepoint statement): nothing of it stands.
      if (this.sqlite.inTransaction) this.#rollback.run();
      this.#count(batch.length, batch.length, true);
      this.hooks.around?.();
      return batch.map(() => ({ ok: false as const, error }));
    }
    this.#count(batch.length, failed, false);
    this.hooks.around?.();
    return outcomes;
  }

  #count(size: number, failed: number, batchFailed: boolean): void {
    this.#tally.count(size, failed, batchFailed);
  }

  /** Calls `observer` after every batch with its size and failures (metrics). */
  observe(observer: (size: number, failedUnits: number, batchFailed: boolean) => void): void {
    this.#tally.observe(observer);
  }

  stats(): WriterStats {
    return this.#tally.stats();
  }

  /** Commits what is queued and refuses further units. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
  }
}
