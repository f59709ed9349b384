import { eq, sql } from "drizzle-orm";
import type { Statement } from "bun:sqlite";
import type { Clock } from "../clock.ts";
import type { Connection, ReadSnapshot } from "../db/client.ts";
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
  created_at: number;
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
    createdAt: new Date(row.created_at),
  };
}

/**
 * Daily check-ins, streaks and streak freezes. XP moves only through XpService; this service
 * writes the streak fields.
 */
export class RewardsService {
  // The check-in is the busiest write: its statements are prepared once, on the write connection
  // for units and on the reader for the check-in page.
  readonly #profileState: Statement<StateRow, [number]>;
  readonly #readProfileState: Statement<StateRow, [number]>;
  readonly #recent: Statement<CheckInDbRow, [number, number]>;
  readonly #recordCheckIn;
  readonly #saveStreak;
  readonly #dateIn = cachedLocalDate();

  constructor(private readonly deps: { reader: Connection; writer: Writer; snapshot: ReadSnapshot; clock: Clock; xp: XpService; metrics: Metrics; config: RewardRules }) {
    const { db } = deps.writer;
    const id = sql.placeholder("userId");
    // Read on every check-in page and every check-in: raw prepared statements, one each.
    // The last check-in's zone: the row of the profile's last date, found by the unique index.
    const state = `SELECT p.current_streak, p.longest_streak, p.streak_freezes, p.last_check_in, p.timezone,
              (SELECT c.timezone FROM check_ins c WHERE c.user_id = ?1 AND c.date = p.last_check_in) AS last_zone
       FROM profiles p WHERE p.user_id = ?1`;
    this.#profileState = deps.writer.sqlite.prepare<StateRow, [number]>(state);
    this.#readProfileState = deps.reader.sqlite.prepare<StateRow, [number]>(state);
    this.#recent = deps.reader.sqlite.prepare<CheckInDbRow, [number, number]>(
      "SELECT id, user_id, date, timezone, streak_day, cycle_day, xp_earned, freezes_used, created_at FROM check_ins WHERE user_id = +? ORDER BY date DESC LIMIT +?",
    );
    this.#recordCheckIn = db
      .insert(checkIns)
      .values({
        userId: id,
        date: sql.placeholder("date"),
        timezone: sql.placeholder("timezone"),
        streakDay: sql.placeholder("streakDay"),
        cycleDay: sql.placeholder("cycleDay"),
        xpEarned: sql.placeholder("xpEarned"),
        freezesUsed: sql.placeholder("freezesUsed"),
        createdAt: sql.placeholder("createdAt"),
      })
      .returning()
      .prepare();
    // Placeholders in SET bypass column mapping: updatedAt is bound as epoch milliseconds.
    this.#saveStreak = db
      .update(profiles)
      .set({
        currentStreak: sql`${sql.placeholder("current")}`,
        longestStreak: sql`${sql.placeholder("longest")}`,
        streakFreezes: sql`${sql.placeholder("freezes")}`,
        lastCheckIn: sql`${sql.placeholder("lastDate")}`,
        updatedAt: sql`${sql.placeholder("updatedAt")}`,
      })
      .where(eq(profiles.userId, id))
      .prepare();
  }

  /**
   * Checks the user in for today (their local date). One unit of work: the rules of
   * `decideCheckIn`, the check-in row, the XP (`check_in`, reference `<user>:<date>`) and the
   * streak. A second check-in for the same local date is `already_checked_in` and changes
   * nothing, however many arrive at once.
   */
  async checkIn(userId: number): Promise<CheckInOutcome> {
    const outcome = await this.deps.writer.run((tx): CheckInOutcome => {
      const now = this.deps.clock.now();
      const { state, zone } = this.#state(this.#profileState, userId);
      const decision = decideCheckIn(state, now, zone, this.deps.config.table, this.#dateIn);
      if (!decision.allowed) throw new AppError("conflict", "already_checked_in", "Already checked in today");
      const row = this.#recordCheckIn.get({
        userId,
        date: decision.date,
        timezone: zone,
        streakDay: decision.streakDay,
        cycleDay: decision.cycleDay,
        xpEarned: decision.xp,
        freezesUsed: decision.freezesUsed,
        createdAt: now,
      })!;
      const freezes = state.freezes - decision.freezesUsed;
      this.#saveStreak.run({
        userId,
        current: decision.streakDay,
        longest: decision.longest,
        freezes,
        lastDate: decision.date,
        updatedAt: now.getTime(),
      });
      const credit = this.deps.xp.addIn(tx, { userId, amount: decision.xp, source: "check_in", reference: `${userId}:${decision.date}`, actor: `user:${userId}` });
      return {
        checkIn: row,
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
  status(userId: number): CheckInState {
    this.deps.snapshot.enter();
    const now = this.deps.clock.now();
    const { state, zone } = this.#state(this.#readProfileState, userId);
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
    const recent = this.#recent.all(userId, RECENT).map(checkInOf);
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
    const { spent, ...bought } = await this.deps.writer.run((tx) => {
      const reference = idempotencyKey ? `${userId}:${idempotencyKey}` : null;
      const { state } = this.#state(this.#profileState, userId);
      if (reference && this.deps.xp.findEntryIn(tx, "streak_freeze_purchase", reference)) {
        return { freezes: state.freezes, totalXp: this.deps.xp.balanceIn(tx, userId), spent: 0 };
      }
      const { freezeCost, freezeCap } = this.deps.config;
      if (state.freezes >= freezeCap) {
        throw new AppError("conflict", "freeze_cap_reached", `You already hold the most streak freezes allowed (${freezeCap})`);
      }
      const spend = this.deps.xp.addIn(tx, { userId, amount: -freezeCost, source: "streak_freeze_purchase", reference, actor: `user:${userId}` });
      const freezes = state.freezes + 1;
      tx.update(profiles).set({ streakFreezes: freezes, updatedAt: this.deps.clock.now() }).where(eq(profiles.userId, userId)).run();
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
    return this.deps.writer.run((tx) => {
      const { state } = this.#state(this.#profileState, userId);
      tx.update(profiles).set({ currentStreak: 0, updatedAt: this.deps.clock.now() }).where(eq(profiles.userId, userId)).run();
      return { before: state.current, after: 0 as const, longest: state.longest };
    });
  }

  #state(statement: Statement<StateRow, [number]>, userId: number): { state: StreakState; zone: string } {
    const row = statement.get(userId);
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
