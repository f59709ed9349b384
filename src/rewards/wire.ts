import { writtenAs } from "../http/json-text.ts";
import type { CheckInOutcome, CheckInRow, CheckInState } from "./rewards-service.ts";
import type { Streak } from "./rules.ts";
import type { CheckInAnswerBody, CheckInRecordAnswer, CheckInStatusBody, FreezeBoughtBody, OriginalCheckInAnswer, StreakAnswer } from "./schemas.ts";

/** How many check-ins the original web client lists. */
const ORIGINAL_RECENT = 7;

export function streakAnswer(streak: Streak): StreakAnswer {
  return { current: streak.current, longest: streak.longest, freezes: streak.freezes, last_check_in: streak.lastCheckIn };
}

export function checkInRecordAnswer(row: CheckInRow): CheckInRecordAnswer {
  return { date: row.date, streak_day: row.streakDay, cycle_day: row.cycleDay, xp_earned: row.xpEarned, freezes_used: row.freezesUsed };
}

function originalCheckIn(row: CheckInRow): OriginalCheckInAnswer {
  return { id: row.id, check_in_date: row.date, streak_day: row.streakDay, cycle_day: row.cycleDay, xp_earned: row.xpEarned };
}

/** The answer to a check-in, with the members the original frontend reads at the top level. */
export function checkInAnswer(outcome: CheckInOutcome): CheckInAnswerBody {
  const { checkIn } = outcome;
  const saved = outcome.streakSaved ? ` Streak saved with ${checkIn.freezesUsed} freeze${checkIn.freezesUsed === 1 ? "" : "s"}.` : "";
  return {
    message: `Day ${checkIn.streakDay} checked in: +${checkIn.xpEarned} XP.${saved}`,
    check_in: checkInRecordAnswer(checkIn),
    xp_earned: checkIn.xpEarned,
    total_xp: outcome.totalXp,
    streak_day: checkIn.streakDay,
    cycle_day: checkIn.cycleDay,
    streak_saved: outcome.streakSaved,
    freezes_left: outcome.streak.freezes,
    streak: streakAnswer(outcome.streak),
  };
}

/** XP by cycle day, keyed "1", "2", … */
export function rewardTable(table: readonly number[]): Record<string, number> {
  return Object.fromEntries(table.map((xp, i) => [String(i + 1), xp]));
}

/** The reward table's JSON text, written once per table (the rules do not change while running). */
const tableTexts = new WeakMap<readonly number[], string>();
function rewardTableText(table: readonly number[]): string {
  let text = tableTexts.get(table);
  if (text === undefined) {
    text = JSON.stringify(rewardTable(table));
    tableTexts.set(table, text);
  }
  return text;
}

/**
 * The check-in state. Its two reward tables (integer-like keys) would take JSON.stringify off its
 * fast path for the whole answer: it is written as the rest of the answer and the tables' text.
 */
export function checkInStatusAnswer(state: CheckInState): CheckInStatusBody {
  const answer = checkInStatusValue(state);
  return writtenAs(answer, () => {
    const { rewards: _rewards, daily_rewards: _daily, ...rest } = answer;
    const table = rewardTableText(state.rewards);
    return `${JSON.stringify(rest).slice(0, -1)},"rewards":${table},"daily_rewards":${table}}`;
  });
}

function checkInStatusValue(state: CheckInState): CheckInStatusBody {
  return {
    checked_in_today: state.checkedInToday,
    next_check_in_at: state.nextCheckInAt.toISOString(),
    streak: streakAnswer(state.streak),
    cycle_day_next: state.cycleDayNext,
    xp_next: state.xpNext,
    streak_alive: state.streakAlive,
    rewards: rewardTable(state.rewards),
    recent: state.recent.map(checkInRecordAnswer),
    // The original web client claims card current_streak + 1: always the day the next check-in earns.
    current_streak: state.cycleDayNext - 1,
    today_checkin: state.today ? originalCheckIn(state.today) : null,
    recent_checkins: state.recent.slice(0, ORIGINAL_RECENT).map(originalCheckIn),
    daily_rewards: rewardTable(state.rewards),
    freezes_left: state.streak.freezes,
  };
}

export function freezeBoughtAnswer(bought: { freezes: number; totalXp: number }): FreezeBoughtBody {
  return { freezes: bought.freezes, total_xp: bought.totalXp };
}
