import { type LocalDateFn, localDate } from "../time-zone.ts";

/** The check-in rewards: XP for each day of the cycle, and the price and cap of streak freezes. */
export interface RewardRules {
  /** XP for cycle day 1, 2, …; the cycle length is the table's length (7 by default). */
  table: readonly number[];
  freezeCost: number;
  freezeCap: number;
}

/** XP by cycle day unless COC_CHECKIN_REWARDS says otherwise: a week, rising by 5. */
export const DEFAULT_REWARD_TABLE: readonly number[] = [5, 10, 15, 20, 25, 30, 35];
/** XP a streak freeze costs (COC_STREAK_FREEZE_COST). */
export const DEFAULT_FREEZE_COST = 50;
/** Most freezes held at once (COC_STREAK_FREEZE_CAP). */
export const DEFAULT_FREEZE_CAP = 2;

/** A user's streak as the profile and the check-in answers show it. */
export interface Streak {
  current: number;
  longest: number;
  freezes: number;
  /** The user's local date of the last check-in, or null before the first. */
  lastCheckIn: string | null;
}

/** Where a user's streak stands, as stored after their last check-in. */
export interface StreakState {
  current: number;
  longest: number;
  freezes: number;
  /** Local date of the last check-in, or null before the first. */
  lastDate: string | null;
  /** The time zone that date was taken in. */
  lastZone: string | null;
}

export type CheckInDecision =
  | { allowed: false }
  | {
      allowed: true;
      /** The local date this check-in counts for (in the user's current zone). */
      date: string;
      streakDay: number;
      cycleDay: number;
      xp: number;
      /** Freezes spent to bridge missed days. */
      freezesUsed: number;
      /** True when freezes carried the streak over missed days. */
      streakSaved: boolean;
      longest: number;
    };

/** Whole days from one YYYY-MM-DD to another (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}

/** The cycle day of a streak day: 1…n, then 1 again, while the streak keeps counting. */
export function cycleDayOf(streakDay: number, cycleLength: number): number {
  return ((streakDay - 1) % cycleLength) + 1;
}

/**
 * The rules of the daily check-in, as one pure function of the stored state, the instant and the
 * user's zone.
 *
 * - "Today" is the calendar date in the user's zone. A check-in is refused while today is not
 *   after the last check-in's date — in the current zone *and* in the zone of the last check-in,
 *   so moving east cannot buy an early extra day and moving west cannot check in twice on one date.
 * - Last check-in yesterday: the streak goes on. Missed `m` whole days: with at least `m` freezes,
 *   `m` are spent and the streak goes on; otherwise it restarts at 1 and the freezes are kept.
 *   Days missed are counted in whichever of the two zones says fewer.
 * - XP comes from the table by cycle day.
 */
export function decideCheckIn(state: StreakState, now: Date, zone: string, table: readonly number[], dateIn: LocalDateFn = localDate): CheckInDecision {
  const today = dateIn(now, zone);
  let streakDay = 1;
  let freezesUsed = 0;
  if (state.lastDate !== null) {
    const sinceLast = daysBetween(state.lastDate, today);
    const sinceLastThere = state.lastZone ? daysBetween(state.lastDate, dateIn(now, state.lastZone)) : sinceLast;
    if (sinceLast <= 0 || sinceLastThere <= 0) return { allowed: false };
    const missed = Math.min(sinceLast, sinceLastThere) - 1;
    if (missed === 0) streakDay = state.current + 1;
    else if (state.freezes >= missed) {
      streakDay = state.current + 1;
      freezesUsed = missed;
    }
  }
  const cycleDay = cycleDayOf(streakDay, table.length);
  return {
    allowed: true,
    date: today,
    streakDay,
    cycleDay,
    xp: table[cycleDay - 1]!,
    freezesUsed,
    streakSaved: freezesUsed > 0,
    longest: Math.max(state.longest, streakDay),
  };
}

/**
 * The first instant at or after `from` when the calendar date in `zone` is later than `date`
 * (the next local midnight after `date`, DST included). Found by bisection over instants, since
 * local dates only move forward with time.
 */
export function startOfDayAfter(date: string, zone: string, from: Date, dateIn: LocalDateFn = localDate): Date {
  const localDate = dateIn;
  if (localDate(from, zone) > date) return from;
  let low = from.getTime();
  let high = low + 3 * 86_400_000;
  while (localDate(new Date(high), zone) <= date) high += 86_400_000;
  while (high - low > 1000) {
    const middle = Math.floor((low + high) / 2);
    if (localDate(new Date(middle), zone) > date) high = middle;
    else low = middle;
  }
  // Local midnights fall on whole seconds; finish on the exact one.
  for (let t = Math.floor(low / 1000) * 1000; t <= high; t += 1000) {
    if (localDate(new Date(t), zone) > date) return new Date(t);
  }
  return new Date(high);
}
