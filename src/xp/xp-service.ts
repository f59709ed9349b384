import { and, desc, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Connection, ReadSnapshot, Tx } from "../db/client.ts";
import type { Writer } from "../db/writer.ts";
import type { Metrics } from "../metrics.ts";
import { profiles, users, XP_SOURCES, type XpSource, xpLedger } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { userPages } from "../db/user-pages.ts";
import { decodeCursor, type Page, pageLimit, toPage } from "../pagination.ts";

/** The largest change one entry may make, either way: a typo of extra zeros is refused. */
export const MAX_XP_CHANGE = 1_000_000;

/** Which way each source may move XP. */
const SIGN: Record<XpSource, "positive" | "negative" | "any"> = {
  check_in: "positive",
  purchase: "positive",
  referral: "positive",
  admin_adjustment: "any",
  streak_freeze_purchase: "negative",
};

export interface XpChange {
  userId: number;
  /** Non-zero integer; negative spends. */
  amount: number;
  source: XpSource;
  /** Makes the change idempotent: a second change with the same source and reference is a repeat. */
  reference?: string | null;
  /** Who caused it: "user:<id>", "admin:<name>", "system" … */
  actor?: string;
  note?: string | null;
}

/** One change of XP as the ledger holds it. */
export type LedgerEntry = typeof xpLedger.$inferSelect;

export interface XpResult {
  entry: LedgerEntry;
  /** False when this was a repeat of an earlier change: nothing was changed this time. */
  applied: boolean;
  /** The balance now (after this change, or as it stands for a repeat). */
  balance: number;
}

/** A user's place on the leaderboard. */
export interface LeaderboardEntry {
  rank: number;
  username: string;
  avatarUrl: string | null;
  xp: number;
}

/**
 * The only writer of XP. Each change is one unit of work that writes a ledger entry (with the
 * balance after it) and the new balance together, so the balance always equals the sum
 * of the ledger. `(source, reference)` makes changes exactly-once: purchases, webhooks and
 * check-ins pass a reference, and a retry finds the first entry instead of crediting again.
 */
export class XpService {
  // Prepared once: add() is on the hot path of every check-in and purchase. The statements units
  // run are prepared on the write connection; reads of the same things, on the reader.
  readonly #byReference;
  readonly #balanceOf;
  readonly #setBalance;
  readonly #record;
  readonly #read;

  readonly #history;

  constructor(private readonly deps: { reader: Connection; writer: Writer; snapshot: ReadSnapshot; clock: Clock; metrics: Metrics }) {
    const { reader, writer } = deps;
    this.#history = userPages(
      reader.sqlite,
      "xp_ledger",
      "id, user_id, amount, source, reference, balance_after, actor, note, created_at",
      (row: { id: number; user_id: number; amount: number; source: XpSource; reference: string | null; balance_after: number; actor: string; note: string | null; created_at: number }): LedgerEntry => ({
        id: row.id,
        userId: row.user_id,
        amount: row.amount,
        source: row.source,
        reference: row.reference,
        balanceAfter: row.balance_after,
        actor: row.actor,
        note: row.note,
        createdAt: new Date(row.created_at),
      }),
    );
    const byReference = (db: Connection["db"]) =>
      db
        .select()
        .from(xpLedger)
        .where(and(eq(xpLedger.source, sql.placeholder("source")), eq(xpLedger.reference, sql.placeholder("reference"))))
        .prepare();
    const balanceOf = (db: Connection["db"]) => db.select({ xp: profiles.xp }).from(profiles).where(eq(profiles.userId, sql.placeholder("userId"))).prepare();
    this.#byReference = byReference(writer.db);
    this.#balanceOf = balanceOf(writer.db);
    this.#read = { byReference: byReference(reader.db), balanceOf: balanceOf(reader.db) };
    this.#setBalance = writer.db
      .update(profiles)
      // Placeholders in SET bypass the column's mapping: updatedAt is bound as epoch milliseconds.
      .set({ xp: sql`${sql.placeholder("xp")}`, updatedAt: sql`${sql.placeholder("updatedAt")}` })
      .where(eq(profiles.userId, sql.placeholder("userId")))
      .prepare();
    this.#record = writer.db
      .insert(xpLedger)
      .values({
        userId: sql.placeholder("userId"),
        amount: sql.placeholder("amount"),
        source: sql.placeholder("source"),
        reference: sql.placeholder("reference"),
        balanceAfter: sql.placeholder("balanceAfter"),
        actor: sql.placeholder("actor"),
        note: sql.placeholder("note"),
        createdAt: sql.placeholder("createdAt"),
      })
      .returning()
      .prepare();
  }

  /**
   * Adds `amount` (negative to spend) to a user's XP and records it, as a unit of its own (see
   * `addIn`); settles once it is durable.
   */
  async add(change: XpChange): Promise<XpResult> {
    validate(change);
    const result = await this.deps.writer.run((tx) => this.addIn(tx, change));
    // Counted once committed (callers of addIn count their own).
    if (result.applied) this.deps.metrics.xp(result.entry.source, result.entry.amount);
    return result;
  }

  /**
   * Adds `amount` (negative to spend) to a user's XP and records it, inside the caller's unit. A
   * repeat of the same `(source, reference)` answers the first entry and changes nothing; the same
   * reference with a different user or amount is `reference_conflict`. A spend below zero is
   * `insufficient_xp` and writes nothing.
   */
  addIn(_tx: Tx, change: XpChange): XpResult {
    // The statements below were prepared on the write connection: `_tx` is the proof of a unit.
    validate(change);
    const reference = change.reference ?? null;
    if (reference !== null) {
      const earlier = this.#byReference.get({ source: change.source, reference });
      if (earlier) {
        if (earlier.userId !== change.userId || earlier.amount !== change.amount) {
          throw new AppError("conflict", "reference_conflict", `${change.source} ${reference} was already recorded with other values`);
        }
        return { entry: earlier, applied: false, balance: balanceFrom(this.#balanceOf.get({ userId: change.userId })) };
      }
    }
    const current = this.#balanceOf.get({ userId: change.userId });
    if (!current) throw new AppError("not_found", "user_not_found", "No such user");
    const balance = current.xp + change.amount;
    if (balance < 0) {
      throw new AppError("conflict", "insufficient_xp", `Not enough XP: ${current.xp} available, ${-change.amount} needed`);
    }
    const now = this.deps.clock.now();
    this.#setBalance.run({ xp: balance, updatedAt: now.getTime(), userId: change.userId });
    const entry = this.#record.get({
      userId: change.userId,
      amount: change.amount,
      source: change.source,
      reference,
      balanceAfter: balance,
      actor: change.actor ?? "system",
      note: change.note ?? null,
      createdAt: now,
    })!;
    return { entry, applied: true, balance };
  }

  /** The entry recorded for `(source, reference)` as a unit sees it (its own writes included). */
  findEntryIn(_tx: Tx, source: XpSource, reference: string): LedgerEntry | undefined {
    return this.#byReference.get({ source, reference });
  }

  /** The balance as a unit sees it (its own writes included). */
  balanceIn(_tx: Tx, userId: number): number {
    return balanceFrom(this.#balanceOf.get({ userId }));
  }

  /** The entry recorded for `(source, reference)`, if any. */
  findEntry(source: XpSource, reference: string): LedgerEntry | undefined {
    this.deps.snapshot.enter();
    return this.#read.byReference.get({ source, reference });
  }

  balance(userId: number): number {
    this.deps.snapshot.enter();
    return balanceFrom(this.#read.balanceOf.get({ userId }));
  }

  /** A user's ledger, newest first, in pages. */
  history(userId: number, options: { limit?: number; cursor?: string }): Page<LedgerEntry> {
    this.deps.snapshot.enter();
    return this.#history(userId, options);
  }

  /**
   * Users by XP, most first; ties go to the older account (lower id), so the order never
   * changes between pages. Disabled accounts are left out. `rank` is the position in that order.
   */
  leaderboard(options: { limit?: number; cursor?: string }): Page<LeaderboardEntry> {
    const limit = pageLimit(options.limit);
    const after =
      options.cursor === undefined
        ? null
        : decodeCursor(options.cursor, (value) => {
            const [xp, id, rank] = Array.isArray(value) ? value : [];
            return [xp, id, rank].every(Number.isSafeInteger) ? { xp: xp as number, id: id as number, rank: rank as number } : null;
          });
    this.deps.snapshot.enter();
    const rows = this.deps.reader.db
      .select({ id: users.id, username: users.username, avatarUrl: profiles.avatarUrl, xp: profiles.xp })
      .from(profiles)
      .innerJoin(users, eq(users.id, profiles.userId))
      .where(
        after === null
          ? eq(users.disabled, false)
          : and(
              eq(users.disabled, false),
              sql`(${profiles.xp} < ${after.xp} OR (${profiles.xp} = ${after.xp} AND ${profiles.userId} > ${after.id}))`,
            ),
      )
      .orderBy(desc(profiles.xp), profiles.userId)
      .limit(limit + 1)
      .all();
    const firstRank = (after?.rank ?? 0) + 1;
    const ranked = rows.map((row, i) => ({ ...row, rank: firstRank + i }));
    return toPage(
      ranked,
      limit,
      (row) => ({ rank: row.rank, username: row.username, avatarUrl: row.avatarUrl, xp: row.xp }),
      (last) => [last.xp, last.id, last.rank],
    );
  }

}

function balanceFrom(row: { xp: number } | undefined): number {
  if (!row) throw new AppError("not_found", "user_not_found", "No such user");
  return row.xp;
}

function validate(change: XpChange): void {
  const problems: { path: string; message: string }[] = [];
  if (!(XP_SOURCES as readonly string[]).includes(change.source)) problems.push({ path: "/source", message: `must be one of ${XP_SOURCES.join(", ")}` });
  if (!Number.isSafeInteger(change.amount) || change.amount === 0 || Math.abs(change.amount) > MAX_XP_CHANGE) {
    problems.push({ path: "/amount", message: `must be a non-zero whole number from -${MAX_XP_CHANGE} to ${MAX_XP_CHANGE}` });
  } else {
    const sign = SIGN[change.source];
    if ((sign === "positive" && change.amount < 0) || (sign === "negative" && change.amount > 0)) {
      problems.push({ path: "/amount", message: `must be ${sign} for ${change.source}` });
    }
  }
  if (change.reference !== undefined && change.reference !== null && (change.reference.length === 0 || change.reference.length > 200)) {
    problems.push({ path: "/reference", message: "must be 1–200 characters" });
  }
  if (change.note && change.note.length > 500) problems.push({ path: "/note", message: "must be at most 500 characters" });
  if (problems.length > 0) throw new AppError("validation", "validation_failed", "The XP change is invalid", { errors: problems });
}
