import { type Static, Type } from "@sinclair/typebox";

/** A streak, wherever it is shown (profiles, check-in answers). */
export const Streak = Type.Object(
  {
    current: Type.Integer({ minimum: 0 }),
    longest: Type.Integer({ minimum: 0 }),
    freezes: Type.Integer({ minimum: 0 }),
    last_check_in: Type.Union([Type.String({ format: "date" }), Type.Null()], { description: "The user's local date of the last check-in" }),
  },
  { title: "Streak" },
);

export const CheckInRecord = Type.Object(
  {
    date: Type.String({ format: "date", description: "The user's local date" }),
    streak_day: Type.Integer({ description: "The streak's length that day: 8 on the eighth day in a row" }),
    cycle_day: Type.Integer({ description: "The day of the reward cycle" }),
    xp_earned: Type.Integer(),
    freezes_used: Type.Integer(),
  },
  { title: "CheckInRecord" },
);

/** A check-in as the original web client lists it ("Day N"). */
export const OriginalCheckIn = Type.Object(
  {
    id: Type.Integer(),
    check_in_date: Type.String({ format: "date" }),
    streak_day: Type.Integer({ description: "The streak's length that day" }),
    cycle_day: Type.Integer({ description: "The day of the reward cycle (1–7 by default)" }),
    xp_earned: Type.Integer(),
  },
  { title: "OriginalCheckIn" },
);

export const CheckInAnswer = Type.Object(
  {
    message: Type.String({ description: "A sentence for people (the original web client shows it)" }),
    check_in: CheckInRecord,
    xp_earned: Type.Integer(),
    total_xp: Type.Integer(),
    streak_day: Type.Integer(),
    cycle_day: Type.Integer(),
    streak_saved: Type.Boolean({ description: "True when streak freezes carried the streak over missed days" }),
    freezes_left: Type.Integer(),
    streak: Streak,
  },
  { title: "CheckIn" },
);

export const CheckInStatus = Type.Object(
  {
    checked_in_today: Type.Boolean(),
    next_check_in_at: Type.String({ format: "date-time", description: "When the next check-in opens (now if open)" }),
    streak: Streak,
    cycle_day_next: Type.Integer(),
    xp_next: Type.Integer(),
    streak_alive: Type.Boolean({ description: "Whether the next check-in continues the streak (spending freezes if needed)" }),
    rewards: Type.Record(Type.String(), Type.Integer(), { description: "XP by cycle day" }),
    recent: Type.Array(CheckInRecord, { description: "The last 30 check-ins, newest first" }),
    current_streak: Type.Integer({
      minimum: 0,
      description: "The reward-cycle day of a streak still alive, such that card current_streak + 1 is the day the next check-in earns (0: the next one is day 1)",
    }),
    today_checkin: Type.Union([OriginalCheckIn, Type.Null()]),
    recent_checkins: Type.Array(OriginalCheckIn, { description: "The last 7 check-ins, newest first" }),
    daily_rewards: Type.Record(Type.String(), Type.Integer(), { description: "XP by cycle day, string keys" }),
    freezes_left: Type.Integer({ minimum: 0 }),
  },
  { title: "CheckInStatus" },
);

export const FreezeBought = Type.Object({ freezes: Type.Integer(), total_xp: Type.Integer() }, { title: "FreezeBought" });

export type StreakAnswer = Static<typeof Streak>;
export type CheckInRecordAnswer = Static<typeof CheckInRecord>;
export type OriginalCheckInAnswer = Static<typeof OriginalCheckIn>;
export type CheckInAnswerBody = Static<typeof CheckInAnswer>;
export type CheckInStatusBody = Static<typeof CheckInStatus>;
export type FreezeBoughtBody = Static<typeof FreezeBought>;
