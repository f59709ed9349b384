import { Elysia, t } from "elysia";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { authGuard } from "../http/auth-guard.ts";
import { Problem } from "../http/schemas.ts";

const tags = ["rewards"];

const CheckInRecord = t.Object({
  date: t.String({ format: "date", description: "The user's local date" }),
  streak_day: t.Integer(),
  cycle_day: t.Integer(),
  xp_earned: t.Integer(),
  freezes_used: t.Integer(),
});

const StreakView = t.Object({
  current: t.Integer(),
  longest: t.Integer(),
  freezes: t.Integer(),
  last_check_in: t.Union([t.String({ format: "date" }), t.Null()]),
});

const CheckInAnswer = t.Object(
  {
    check_in: CheckInRecord,
    xp_earned: t.Integer(),
    total_xp: t.Integer(),
    streak_day: t.Integer(),
    cycle_day: t.Integer(),
    streak_saved: t.Boolean({ description: "True when streak freezes carried the streak over missed days" }),
    freezes_left: t.Integer(),
    streak: StreakView,
  },
  { title: "CheckIn" },
);

const CheckInStatus = t.Object(
  {
    checked_in_today: t.Boolean(),
    next_check_in_at: t.String({ format: "date-time", description: "When the next check-in opens (now if open)" }),
    streak: StreakView,
    cycle_day_next: t.Integer(),
    xp_next: t.Integer(),
    streak_alive: t.Boolean({ description: "Whether the next check-in continues the streak (spending freezes if needed)" }),
    rewards: t.Record(t.String(), t.Integer(), { description: "XP by cycle day, e.g. {1: 5, …, 7: 35}" }),
    recent: t.Array(CheckInRecord, { description: "The last 30 check-ins, newest first" }),
  },
  { title: "CheckInStatus" },
);

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** /api/rewards/: the daily check-in and streak freezes. */
export function rewardsRoutes(ctx: AppContext) {
  const { rewards } = ctx.services;
  return new Elysia({ prefix: "/api/rewards" })
    .use(authGuard(ctx))
    .post("/check-in/", ({ caller, set }) => {
      const answer = rewards.checkIn(caller.id);
      set.status = 201;
      return answer;
    }, {
      auth: true,
      response: { 201: CheckInAnswer, 401: Problem, 403: Problem, 409: Problem },
      detail: {
        tags,
        summary: "Check in for today",
        description:
          "'Today' is the date in the profile's time zone. XP by cycle day (5, 10, … 35; day 8 starts again at 5 while the streak keeps counting). Missed days are bridged by streak freezes when enough are held. 409 `already_checked_in`.",
      },
    })
    .get("/check-in/", ({ caller }) => rewards.status(caller.id), {
      auth: true,
      response: { 200: CheckInStatus, 401: Problem, 403: Problem },
      detail: { tags, summary: "Today's check-in state, the streak, the next reward and the reward table" },
    })
    .post("/streak-freezes/", ({ caller, request, set }) => {
      const key = request.headers.get("idempotency-key") ?? undefined;
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new AppError("validation", "validation_failed", "Idempotency-Key must be 1–64 letters, digits, '_' or '-'", {
          errors: [{ path: "/headers/idempotency-key", message: "must be 1–64 letters, digits, '_' or '-'" }],
        });
      }
      const answer = rewards.buyFreeze(caller.id, key);
      set.status = 201;
      return answer;
    }, {
      auth: true,
      response: {
        201: t.Object({ freezes: t.Integer(), total_xp: t.Integer() }, { title: "FreezeBought" }),
        400: Problem,
        401: Problem,
        403: Problem,
        409: Problem,
      },
      detail: {
        tags,
        summary: "Buy one streak freeze with XP",
        description:
          "Costs 50 XP by default; at most 2 held by default. 409 `insufficient_xp` or `freeze_cap_reached`. Send an `Idempotency-Key` header to make retries safe: a repeat answers without buying again.",
      },
    });
}
