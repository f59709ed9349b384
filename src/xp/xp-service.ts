import { and, desc, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { type Store, statement, type Tx } from "../db/store.ts";
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
  import_adjustment: "any",
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
  /** When it happened, when that is not now (an imported check-in keeps its original time). */
  at?: Date;
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
/** The ledger's columns, in the order every statement here answers them. */
const LEDGER_COLUMNS = "id, user_id, amount, source, reference, balance_after, actor, note, created_at";

interface LedgerRow {
  id: number;
  user_id: number;
  amount: number;
  source: XpSource;
  reference: string | null;
  balance_after: number;
  actor: string;
  note: string | null;
  /** Epoch milliseconds (a string from Postgres's int8). */
  created_at: number | string;
}

function ledgerEntry(row: LedgerRow): LedgerEntry {
  return {
    id: row.id,
    userId: row.user_id,
    amount: row.amount,
    source: row.source,
    reference: row.reference,
    balanceAfter: row.balance_after,
    actor: row.actor,
    note: row.note,
    createdAt: new Date(Number(row.created_at)),
  };
}

// add() is on the hot path of every check-in and purchase: its statements are written by hand,
// prepared once per connection.
const BY_REFERENCE = statement<LedgerRow, [XpSource, string]>({
  sqlite: `SELECT ${LEDGER_COLUMNS} FROM xp_ledger WHERE source = ? AND reference = ?`,
  pg: `SELECT ${LEDGER_COLUMNS} FROM xp_ledger WHERE source = $1 AND reference = $2`,
});
/** In a unit: on Postgres the profile row is locked, so concurrent changes of one balance queue instead of failing. */
const BALANCE_FOR_CHANGE = statement<{ xp: number }, [number]>({
  sqlite: "SELECT xp FROM profiles WHERE user_id = ?",
  pg: "SELECT xp FROM profiles WHERE user_id = $1 FOR UPDATE",
});
const BALANCE = statement<{ xp: number }, [number]>({
  sqlite: "SELECT xp FROM profiles WHERE user_id = ?",
  pg: "SELECT xp FROM profiles WHERE user_id = $1",
});
const SET_BALANCE = statement<never, [number, number, number]>({
  sqlite: "UPDATE profiles SET xp = ?, updated_at = ? WHERE user_id = ?",
  pg: "UPDATE profiles SET xp = $1, updated_at = $2 WHERE user_id = $3",
});
const RECORD = statement<LedgerRow, [number, number, XpSource, string | null, number, string, string | null, number]>({
  sqlite: `INSERT INTO xp_ledger (user_id, amount, source, reference, balance_after, actor, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${LEDGER_COLUMNS}`,
  pg: `INSERT INTO xp_ledger (user_id, amount, source, reference, balance_after, actor, note, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${LEDGER_COLUMNS}`,
});

/**
 * Postgres: the whole of `addIn` in one statement (one round trip instead of four): the earlier
 * entry of the same reference, the balance locked FOR UPDATE, the new balance and the entry, each
 * written only when there is no earlier entry and the balance stays at or above zero. Answers one
 * row: `applied` (the new entry), `repeat` (the earlier entry, and the balance), or `refused` (the
 * balance, null when the user has no profile).
 */
const APPLY_PG = statement<
  LedgerRow & { outcome: "applied" | "repeat" | "refused"; current: number | null },
  [number, number, XpSource, string | null, string, string | null, number, number]
>({
  sqlite: "",
  pg: `WITH prior AS (
    SELECT ${LEDGER_COLUMNS} FROM xp_ledger WHERE $4::text IS NOT NULL AND source = $3::text AND reference = $4::text
  ), cur AS (
    SELECT xp FROM profiles WHERE user_id = $1::int FOR UPDATE
  ), upd AS (
    UPDATE profiles p SET xp = cur.xp + $2::int, updated_at = $8::bigint
    FROM cur WHERE p.user_id = $1::int AND NOT EXISTS (SELECT 1 FROM prior) AND cur.xp + $2::int >= 0
    RETURNING p.xp
  ), ins AS (
    INSERT INTO xp_ledger (user_id, amount, source, reference, balance_after, actor, note, created_at)
    SELECT $1::int, $2::int, $3::text, $4::text, upd.xp, $5::text, $6::text, $7::bigint FROM upd
    RETURNING ${LEDGER_COLUMNS}
  )
  SELECT 'applied' AS outcome, ${LEDGER_COLUMNS}, balance_after AS current FROM ins
  UNION ALL
  SELECT 'repeat', ${LEDGER_COLUMNS}, (SELECT xp FROM cur) FROM prior
  UNION ALL
  SELECT 'refused', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, (SELECT xp FROM cur)
  WHERE NOT EXISTS (SELECT 1 FROM prior) AND NOT EXISTS (SELECT 1 FROM upd)`,
});

export class XpService {
  readonly #history;

  constructor(private readonly deps: { reader: Store; writer: Writer; clock: Clock; metrics: Metrics }) {
    this.#history = userPages<LedgerRow, LedgerEntry>("xp_ledger", LEDGER_COLUMNS, ledgerEntry);
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
  async addIn(tx: Tx, change: XpChange): Promise<XpResult> {
    validate(change);
    if (tx.engine === "postgres") return this.#addInOneStatement(tx, change);
    const reference = change.reference ?? null;
    if (reference !== null) {
      const earlier = await tx.one(BY_REFERENCE, change.source, reference);
      if (earlier) {
        if (earlier.user_id !== change.userId || earlier.amount !== change.amount) {
          throw new AppError("conflict", "reference_conflict", `${change.source} ${reference} was already recorded with other values`);
        }
        return { entry: ledgerEntry(earlier), applied: false, balance: balanceFrom(await tx.one(BALANCE_FOR_CHANGE, change.userId)) };
      }
    }
    const current = await tx.one(BALANCE_FOR_CHANGE, change.userId);
    if (!current) throw new AppError("not_found", "user_not_found", "No such user");
    const balance = current.xp + change.amount;
    if (balance < 0) {
      throw new AppError("conflict", "insufficient_xp", `Not enough XP: ${current.xp} available, ${-change.amount} needed`);
    }
    const now = this.deps.clock.now().getTime();
    await tx.run(SET_BALANCE, balance, now, change.userId);
    const at = change.at?.getTime() ?? now;
    const entry = await tx.one(RECORD, change.userId, change.amount, change.source, reference, balance, change.actor ?? "system", change.note ?? null, at);
    return { entry: ledgerEntry(entry!), applied: true, balance };
  }

  /** `addIn` on Postgres: the same decisions, made by one statement (APPLY_PG). */
  async #addInOneStatement(tx: Tx, change: XpChange): Promise<XpResult> {
    const reference = change.reference ?? null;
    const now = this.deps.clock.now().getTime();
    const row = await tx.one(APPLY_PG, change.userId, change.amount, change.source, reference, change.actor ?? "system", change.note ?? null, change.at?.getTime() ?? now, now);
    if (row?.outcome === "applied") return { entry: ledgerEntry(row), applied: true, balance: row.balance_after };
    if (row?.outcome === "repeat") {
      if (row.user_id !== change.userId || row.amount !== change.amount) {
        throw new AppError("conflict", "reference_conflict", `${change.source} ${reference} was already recorded with other values`);
      }
      return { entry: ledgerEntry(row), applied: false, balance: balanceFrom(row.current === null ? undefined : { xp: row.current }) };
    }
    if (row?.current === null || row?.current === undefined) throw new AppError("not_found", "user_not_found", "No such user");
    throw new AppError("conflict", "insufficient_xp", `Not enough XP: ${row.current} available, ${-change.amount} needed`);
  }

  /** The entry recorded for `(source, reference)` as a unit sees it (its own writes included). */
  async findEntryIn(tx: Tx, source: XpSource, reference: string): Promise<LedgerEntry | undefined> {
    const row = await tx.one(BY_REFERENCE, source, reference);
    return row && ledgerEntry(row);
  }

  /** The balance as a unit sees it (its own writes included). */
  async balanceIn(tx: Tx, userId: number): Promise<number> {
    return balanceFrom(await tx.one(BALANCE_FOR_CHANGE, userId));
  }

  /** The entry recorded for `(source, reference)`, if any. */
  async findEntry(source: XpSource, reference: string): Promise<LedgerEntry | undefined> {
    this.deps.reader.enter();
    const row = await this.deps.reader.one(BY_REFERENCE, source, reference);
    return row && ledgerEntry(row);
  }

  async balance(userId: number): Promise<number> {
    this.deps.reader.enter();
    return balanceFrom(await this.deps.reader.one(BALANCE, userId));
  }

  /** A user's ledger, newest first, in pages. */
  history(userId: number, options: { limit?: number; cursor?: string }): Promise<Page<LedgerEntry>> {
    this.deps.reader.enter();
    return this.#history(this.deps.reader, userId, options);
  }

  /**
   * Users by XP, most first; ties go to the older account (lower id), so the order never
   * changes between pages. Disabled accounts are left out. `rank` is the position in that order.
   */
  async leaderboard(options: { limit?: number; cursor?: string }): Promise<Page<LeaderboardEntry>> {
    const limit = pageLimit(options.limit);
    const after =
      options.cursor === undefined
        ? null
        : decodeCursor(options.cursor, (value) => {
            const [xp, id, rank] = Array.isArray(value) ? value : [];
            return [xp, id, rank].every(Number.isSafeInteger) ? { xp: xp as number, id: id as number, rank: rank as number } : null;
          });
    this.deps.reader.enter();
    const rows = await this.deps.reader.db
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
      .limit(limit + 1);
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
