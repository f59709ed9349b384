import { desc, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { RewardsConfig } from "../config.ts";
import { type Db, writeTransaction } from "../db/client.ts";
import { checkIns, profiles } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { XpService } from "../xp/xp-service.ts";
import { cachedLocalDate } from "../time-zone.ts";
import { cycleDayOf, decideCheckIn, type StreakState, startOfDayAfter } from "./streak-rules.ts";

export interface CheckInRecord {
  date: string;
  streak_day: number;
  cycle_day: number;
  xp_earned: number;
  freezes_used: number;
}

export interface StreakView {
  current: number;
  longest: number;
  freezes: number;
  last_check_in: string | null;
}

export interface CheckInAnswer {
  check_in: CheckInRecord;
  xp_earned: number;
  total_xp: number;
  streak_day: number;
  cycle_day: number;
  streak_saved: boolean;
  freezes_left: number;
  streak: StreakView;
}

export interface CheckInStatus {
  checked_in_today: boolean;
  /** When the next check-in opens (now, when it is open). */
  next_check_in_at: string;
  streak: StreakView;
  cycle_day_next: number;
  xp_next: number;
  /** Whether the next check-in keeps the streak (counting the freezes it would spend). */
  streak_alive: boolean;
  rewards: Record<string, number>;
  recent: CheckInRecord[];
}

const RECENT = 30;

/**
 * Daily check-ins, streaks and streak freezes. XP moves only through XpService; this service
 * writes the streak fields.
 */
export class RewardsService {
  // The check-in is the busiest write: its statements are prepared once. They run on the one
  // connection, so inside the transaction too.
  readonly #profileState;
  readonly #lastZone;
  readonly #recordCheckIn;
  readonly #saveStreak;
  readonly #dateIn = cachedLocalDate();

  constructor(private readonly deps: { db: Db; clock: Clock; xp: XpService; config: RewardsConfig }) {
    const { db } = deps;
    const id = sql.placeholder("userId");
    this.#profileState = db
      .select({
        current: profiles.currentStreak,
        longest: profiles.longestStreak,
        freezes: profiles.streakFreezes,
        lastDate: profiles.lastCheckIn,
        zone: profiles.timezone,
      })
      .from(profiles)
      .where(eq(profiles.userId, id))
      .prepare();
    this.#lastZone = db.select({ zone: checkIns.timezone }).from(checkIns).where(eq(checkIns.userId, id)).orderBy(desc(checkIns.date)).limit(1).prepare();
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
   * Checks the user in for today (their local date). One immediate transaction: the rules of
   * `decideCheckIn`, the check-in row, the XP (`check_in`, reference `<user>:<date>`) and the
   * streak. A second check-in for the same local date is a 409 `already_checked_in` that changes
   * nothing, however many arrive at once.
   */
  checkIn(userId: number): CheckInAnswer {
    return writeTransaction(this.deps.db, (tx) => {
      const now = this.deps.clock.now();
      const { state, zone } = this.#state(userId);
      const decision = decideCheckIn(state, now, zone, this.deps.config.table, this.#dateIn);
      if (!decision.allowed) throw new AppError("conflict", "already_checked_in", "Already checked in today");
      this.#recordCheckIn.run({
        userId,
        date: decision.date,
        timezone: zone,
        streakDay: decision.streakDay,
        cycleDay: decision.cycleDay,
        xpEarned: decision.xp,
        freezesUsed: decision.freezesUsed,
        createdAt: now,
      });
      const freezes = state.freezes - decision.freezesUsed;
      this.#saveStreak.run({
        userId,
        current: decision.streakDay,
        longest: decision.longest,
        freezes,
        lastDate: decision.date,
        updatedAt: now.getTime(),
      });
      const credit = this.deps.xp.add(
        { userId, amount: decision.xp, source: "check_in", reference: `${userId}:${decision.date}`, actor: `user:${userId}` },
        tx,
      );
      const record: CheckInRecord = {
        date: decision.date,
        streak_day: decision.streakDay,
        cycle_day: decision.cycleDay,
        xp_earned: decision.xp,
        freezes_used: decision.freezesUsed,
      };
      return {
        check_in: record,
        xp_earned: decision.xp,
        total_xp: credit.balance,
        streak_day: decision.streakDay,
        cycle_day: decision.cycleDay,
        streak_saved: decision.streakSaved,
        freezes_left: freezes,
        streak: { current: decision.streakDay, longest: decision.longest, freezes, last_check_in: decision.date },
      };
    });
  }

  /** Today's state: whether the user can check in, what the next check-in would earn, and recent history. */
  status(userId: number): CheckInStatus {
    const now = this.deps.clock.now();
    const { state, zone } = this.#state(userId);
    const decision = decideCheckIn(state, now, zone, this.deps.config.table, this.#dateIn);
    const table = this.deps.config.table;
    let nextAt = now;
    let next: { cycleDay: number; alive: boolean };
    if (decision.allowed) {
      next = { cycleDay: decision.cycleDay, alive: decision.streakDay > 1 || state.lastDate === null };
    } else {
      // Already checked in: the next one opens when the day after the last has begun in both zones.
      for (const z of new Set([zone, state.lastZone ?? zone])) {
        const opens = startOfDayAfter(state.lastDate!, z, now);
        if (opens > nextAt) nextAt = opens;
      }
      next = { cycleDay: cycleDayOf(state.current + 1, table.length), alive: true };
    }
    const recent = this.deps.db
      .select()
      .from(checkIns)
      .where(eq(checkIns.userId, userId))
      .orderBy(desc(checkIns.date))
      .limit(RECENT)
      .all()
      .map((row) => ({ date: row.date, streak_day: row.streakDay, cycle_day: row.cycleDay, xp_earned: row.xpEarned, freezes_used: row.freezesUsed }));
    return {
      checked_in_today: !decision.allowed,
      next_check_in_at: nextAt.toISOString(),
      streak: {
        // A streak that the next check-in cannot save is shown as over.
        current: next.alive ? state.current : 0,
        longest: state.longest,
        freezes: state.freezes,
        last_check_in: state.lastDate,
      },
      cycle_day_next: next.cycleDay,
      xp_next: table[next.cycleDay - 1]!,
      streak_alive: next.alive,
      rewards: Object.fromEntries(table.map((xp, i) => [String(i + 1), xp])),
      recent,
    };
  }

  /**
   * Buys one streak freeze with XP (`streak_freeze_purchase`, negative), up to the cap held.
   * 409 `freeze_cap_reached` or `insufficient_xp` change nothing. With an idempotency key, a
   * retried request answers the first purchase instead of buying again.
   */
  buyFreeze(userId: number, idempotencyKey?: string): { freezes: number; total_xp: number } {
    return writeTransaction(this.deps.db, (tx) => {
      const reference = idempotencyKey ? `${userId}:${idempotencyKey}` : null;
      const { state } = this.#state(userId);
      if (reference && this.deps.xp.findEntry("streak_freeze_purchase", reference)) {
        return { freezes: state.freezes, total_xp: this.deps.xp.balance(userId) };
      }
      const { freezeCost, freezeCap } = this.deps.config;
      if (state.freezes >= freezeCap) {
        throw new AppError("conflict", "freeze_cap_reached", `You already hold the most streak freezes allowed (${freezeCap})`);
      }
      const spend = this.deps.xp.add({ userId, amount: -freezeCost, source: "streak_freeze_purchase", reference, actor: `user:${userId}` }, tx);
      const freezes = state.freezes + 1;
      tx.update(profiles).set({ streakFreezes: freezes, updatedAt: this.deps.clock.now() }).where(eq(profiles.userId, userId)).run();
      return { freezes, total_xp: spend.balance };
    });
  }

  /**
   * Ends a user's current streak (an admin's decision): current 0, longest kept, freezes kept.
   * The next check-in starts again at day 1. Answers the streak before and after.
   */
  resetStreak(userId: number): { before: number; after: 0; longest: number } {
    return writeTransaction(this.deps.db, (tx) => {
      const { state } = this.#state(userId);
      tx.update(profiles).set({ currentStreak: 0, updatedAt: this.deps.clock.now() }).where(eq(profiles.userId, userId)).run();
      return { before: state.current, after: 0 as const, longest: state.longest };
    });
  }

  #state(userId: number): { state: StreakState; zone: string } {
    const profile = this.#profileState.get({ userId });
    if (!profile) throw new AppError("not_found", "user_not_found", "No such user");
    const last = profile.lastDate ? this.#lastZone.get({ userId }) : undefined;
    return {
      state: { current: profile.current, longest: profile.longest, freezes: profile.freezes, lastDate: profile.lastDate, lastZone: last?.zone ?? null },
      zone: profile.zone,
    };
  }
}
