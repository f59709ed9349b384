import { eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { type Sql, type Store, statement } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import type { Metrics } from "../metrics.ts";
import { checkIns, profiles } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { XpService } from "../xp/xp-service.ts";
import { cachedLocalDate } from "../time-zone.ts";
import { cycleDayOf, decideCheckIn, type RewardRules, type Streak, type StreakState, startOfDayAfter } from "./rules.ts";

export type CheckInRow = typeof checkIns.$inferSelect;

/** What a check-in did. */
export interface CheckInOutcome {
  checkIn: CheckInRow;
  /** The balance after the check-in's XP. */
  totalXp: number;
  /** True when streak freezes carried the streak over missed days. */
  streakSaved: boolean;
  streak: Streak;
}

/** Where a user stands today. */
export interface CheckInState {
  checkedInToday: boolean;
  /** When the next check-in opens (now, when it is open). */
  nextCheckInAt: Date;
  /** The streak; `current` is 0 when the next check-in cannot save it. */
  streak: Streak;
  cycleDayNext: number;
  xpNext: number;
  /** Whether the next check-in keeps the streak (counting the freezes it would spend). */
  streakAlive: boolean;
  /** XP by cycle day. */
  rewards: readonly number[];
  /** The last check-ins, newest first. */
  recent: CheckInRow[];
  /** Today's check-in, when there is one. */
  today: CheckInRow | null;
}

const RECENT = 30;

interface StateRow {
  current_streak: number;
  longest_streak: number;
  streak_freezes: number;
  last_check_in: string | null;
  timezone: string;
  last_zone: string | null;
}

interface CheckInDbRow {
  id: number;
  user_id: number;
  date: string;
  timezone: string;
  streak_day: number;
  cycle_day: number;
  xp_earned: number;
  freezes_used: number;
  /** Epoch milliseconds (a string from Postgres's int8). */
  created_at: number | string;
}

function checkInOf(row: CheckInDbRow): CheckInRow {
  return {
    id: row.id,
    userId: row.user_id,
    date: row.date,
    timezone: row.timezone,
    streakDay: row.streak_day,
    cycleDay: row.cycle_day,
    xpEarned: row.xp_earned,
    freezesUsed: row.freezes_used,
    createdAt: new Date(Number(row.created_at)),
  };
}

/**
 * Daily check-ins, streaks and streak freezes. XP moves only through XpService; this service
 * writes the streak fields.
 */
const CHECK_IN_COLUMNS = "id, user_id, date, timezone, streak_day, cycle_day, xp_earned, freezes_used, created_at";

// Read on every check-in page and every check-in, written by hand and prepared once. The last
// check-in's zone: the row of the profile's last date, found by the unique index.
const STATE_SELECT = `SELECT p.current_streak, p.longest_streak, p.streak_freezes, p.last_check_in, p.timezone,
       (SELECT c.timezone FROM check_ins c WHERE c.user_id = p.user_id AND c.date = p.last_check_in) AS last_zone
  FROM profiles p`;
const STATE = statement<StateRow, [number]>({ sqlite: `${STATE_SELECT} WHERE p.user_id = ?`, pg: `${STATE_SELECT} WHERE p.user_id = $1` });
/** In a unit: on Postgres the profile row is locked, so one user's racing check-ins queue instead of failing. */
const STATE_FOR_CHANGE = statement<StateRow, [number]>({ sqlite: `${STATE_SELECT} WHERE p.user_id = ?`, pg: `${STATE_SELECT} WHERE p.user_id = $1 FOR UPDATE OF p` });
const RECENT_CHECK_INS = statement<CheckInDbRow, [number, number]>({
  sqlite: `SELECT ${CHECK_IN_COLUMNS} FROM check_ins WHERE user_id = +? ORDER BY date DESC LIMIT +?`,
  pg: `SELECT ${CHECK_IN_COLUMNS} FROM check_ins WHERE user_id = $1 ORDER BY date DESC LIMIT $2`,
});
const RECORD_CHECK_IN = statement<CheckInDbRow, [number, string, string, number, number, number, number, number]>({
  sqlite: `INSERT INTO check_ins (user_id, date, timezone, streak_day, cycle_day, xp_earned, freezes_used, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING ${CHECK_IN_COLUMNS}`,
  pg: `INSERT INTO check_ins (user_id, date, timezone, streak_day, cycle_day, xp_earned, freezes_used, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${CHECK_IN_COLUMNS}`,
});
const SAVE_STREAK = statement<never, [number, number, number, string, number, number]>({
  sqlite: "UPDATE profiles SET current_streak = ?, longest_streak = ?, streak_freezes = ?, last_check_in = ?, updated_at = ? WHERE user_id = ?",
  pg: "UPDATE profiles SET current_streak = $1, longest_streak = $2, streak_freezes = $3, last_check_in = $4, updated_at = $5 WHERE user_id = $6",
});

/**
 * Postgres: the check-in row and the streak in one statement (a round trip less; SQLite runs the
 * two above, each a call into the same process). Parameters: the row's eight, then the longest
 * streak and the freezes left.
 */
const RECORD_CHECK_IN_AND_STREAK_PG = statement<CheckInDbRow, [number, string, string, number, number, number, number, number, number, number]>({
  sqlite: "",
  pg: `WITH streak AS (
    UPDATE profiles SET current_streak = $4::int, longest_streak = $9::int, streak_freezes = $10::int, last_check_in = $2::text, updated_at = $8::bigint
    WHERE user_id = $1::int
  )
  INSERT INTO check_ins (user_id, date, timezone, streak_day, cycle_day, xp_earned, freezes_used, created_at)
  VALUES ($1::int, $2::text, $3::text, $4::int, $5::int, $6::int, $7::int, $8::bigint) RETURNING ${CHECK_IN_COLUMNS}`,
});

export class RewardsService {
  readonly #dateIn = cachedLocalDate();

  constructor(private readonly deps: { reader: Store; writer: Writer; clock: Clock; xp: XpService; metrics: Metrics; config: RewardRules }) {}

  /**
   * Checks the user in for today (their local date). One unit of work: the rules of
   * `decideCheckIn`, the check-in row, the XP (`check_in`, reference `<user>:<date>`) and the
   * streak. A second check-in for the same local date is `already_checked_in` and changes
   * nothing, however many arrive at once.
   */
  async checkIn(userId: number): Promise<CheckInOutcome> {
    const outcome = await this.deps.writer.run(async (tx): Promise<CheckInOutcome> => {
      const now = this.deps.clock.now();
      const { state, zone } = await this.#state(tx, STATE_FOR_CHANGE, userId);
      const decision = decideCheckIn(state, now, zone, this.deps.config.table, this.#dateIn);
      if (!decision.allowed) throw new AppError("conflict", "already_checked_in", "Already checked in today");
      const at = now.getTime();
      const freezes = state.freezes - decision.freezesUsed;
      const row =
        tx.engine === "postgres"
          ? await tx.one(RECORD_CHECK_IN_AND_STREAK_PG, userId, decision.date, zone, decision.streakDay, decision.cycleDay, decision.xp, decision.freezesUsed, at, decision.longest, freezes)
          : await tx.one(RECORD_CHECK_IN, userId, decision.date, zone, decision.streakDay, decision.cycleDay, decision.xp, decision.freezesUsed, at);
      if (tx.engine !== "postgres") await tx.run(SAVE_STREAK, decision.streakDay, decision.longest, freezes, decision.date, at, userId);
      const credit = await this.deps.xp.addIn(tx, { userId, amount: decision.xp, source: "check_in", reference: `${userId}:${decision.date}`, actor: `user:${userId}` });
      return {
        checkIn: checkInOf(row!),
        totalXp: credit.balance,
        streakSaved: decision.streakSaved,
        streak: { current: decision.streakDay, longest: decision.longest, freezes, lastCheckIn: decision.date },
      };
    });
    this.deps.metrics.checkIn();
    this.deps.metrics.xp("check_in", outcome.checkIn.xpEarned);
    return outcome;
  }

  /** Today's state: whether the user can check in, what the next check-in would earn, and recent history. */
  async status(userId: number): Promise<CheckInState> {
    const { reader } = this.deps;
    reader.enter();
    const now = this.deps.clock.now();
    const { state, zone } = await this.#state(reader, STATE, userId);
    const decision = decideCheckIn(state, now, zone, this.deps.config.table, this.#dateIn);
    const table = this.deps.config.table;
    let nextAt = now;
    let next: { cycleDay: number; alive: boolean };
    if (decision.allowed) {
      next = { cycleDay: decision.cycleDay, alive: decision.streakDay > 1 || state.lastDate === null };
    } else {
      // Already checked in: the next one opens when the day after the last has begun in both zones.
      for (const z of new Set([zone, state.lastZone ?? zone])) {
        const opens = startOfDayAfter(state.lastDate!, z, now, this.#dateIn);
        if (opens > nextAt) nextAt = opens;
      }
      next = { cycleDay: cycleDayOf(state.current + 1, table.length), alive: true };
    }
    const recent = (await reader.many(RECENT_CHECK_INS, userId, RECENT)).map(checkInOf);
    return {
      checkedInToday: !decision.allowed,
      nextCheckInAt: nextAt,
      streak: {
        // A streak that the next check-in cannot save is shown as over.
        current: next.alive ? state.current : 0,
        longest: state.longest,
        freezes: state.freezes,
        lastCheckIn: state.lastDate,
      },
      cycleDayNext: next.cycleDay,
      xpNext: table[next.cycleDay - 1]!,
      streakAlive: next.alive,
      rewards: table,
      recent,
      today: decision.allowed ? null : (recent[0] ?? null),
    };
  }

  /**
   * Buys one streak freeze with XP (`streak_freeze_purchase`, negative), up to the cap held.
   * `freeze_cap_reached` or `insufficient_xp` change nothing. With an idempotency key, a
   * retried request answers the first purchase instead of buying again.
   */
  async buyFreeze(userId: number, idempotencyKey?: string): Promise<{ freezes: number; totalXp: number }> {
    const { spent, ...bought } = await this.deps.writer.run(async (tx) => {
      const reference = idempotencyKey ? `${userId}:${idempotencyKey}` : null;
      const { state } = await this.#state(tx, STATE_FOR_CHANGE, userId);
      if (reference && (await this.deps.xp.findEntryIn(tx, "streak_freeze_purchase", reference))) {
        return { freezes: state.freezes, totalXp: await this.deps.xp.balanceIn(tx, userId), spent: 0 };
      }
      const { freezeCost, freezeCap } = this.deps.config;
      if (state.freezes >= freezeCap) {
        throw new AppError("conflict", "freeze_cap_reached", `You already hold the most streak freezes allowed (${freezeCap})`);
      }
      const spend = await this.deps.xp.addIn(tx, { userId, amount: -freezeCost, source: "streak_freeze_purchase", reference, actor: `user:${userId}` });
      const freezes = state.freezes + 1;
      await tx.db.update(profiles).set({ streakFreezes: freezes, updatedAt: this.deps.clock.now() }).where(eq(profiles.userId, userId));
      return { freezes, totalXp: spend.balance, spent: freezeCost };
    });
    this.deps.metrics.xp("streak_freeze_purchase", -spent);
    return bought;
  }

  /**
   * Ends a user's current streak (an admin's decision): current 0, longest kept, freezes kept.
   * The next check-in starts again at day 1. Answers the streak before and after.
   */
  resetStreak(userId: number): Promise<{ before: number; after: 0; longest: number }> {
    return this.deps.writer.run(async (tx) => {
      const { state } = await this.#state(tx, STATE_FOR_CHANGE, userId);
      await tx.db.update(profiles).set({ currentStreak: 0, updatedAt: this.deps.clock.now() }).where(eq(profiles.userId, userId));
      return { before: state.current, after: 0 as const, longest: state.longest };
    });
  }

  async #state(store: Store, statement: Sql<StateRow, [number]>, userId: number): Promise<{ state: StreakState; zone: string }> {
    const row = await store.one(statement, userId);
    if (!row) throw new AppError("not_found", "user_not_found", "No such user");
    return {
      state: {
        current: row.current_streak,
        longest: row.longest_streak,
        freezes: row.streak_freezes,
        lastDate: row.last_check_in,
        lastZone: row.last_check_in === null ? null : row.last_zone,
      },
      zone: row.timezone,
    };
  }
}
