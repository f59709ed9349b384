import { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import type { AuthGuard } from "../http/auth-guard.ts";
import { Problem } from "../http/schemas.ts";
import type { RewardsService } from "./rewards-service.ts";
import type { RewardRules } from "./rules.ts";
import { CheckInAnswer, CheckInStatus, FreezeBought } from "./schemas.ts";
import { checkInAnswer, checkInStatusAnswer, freezeBoughtAnswer } from "./wire.ts";

const tags = ["rewards"];

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{1,64}$/;

/** /api/rewards/: the daily check-in and streak freezes. Descriptions quote the live rules. */
export function rewardsRoutes({ rewards, rules, guard }: { rewards: RewardsService; rules: RewardRules; guard: AuthGuard }) {
  const days = rules.table.length;
  return new Elysia({ prefix: "/api/rewards" })
    .use(guard)
    .post("/check-in/", async ({ caller, set }) => {
      const outcome = await rewards.checkIn(caller.id);
      set.status = 201;
      return checkInAnswer(outcome);
    }, {
      auth: true,
      response: { 201: CheckInAnswer, 401: Problem, 403: Problem, 409: Problem },
      detail: {
        tags,
        summary: "Check in for today",
        description: `'Today' is the date in the profile's time zone. XP by cycle day (${rules.table.join(", ")}; day ${days + 1} starts again at ${rules.table[0]} while the streak keeps counting). Missed days are bridged by streak freezes when enough are held. 409 \`already_checked_in\`.`,
      },
    })
    .get("/check-in/", async ({ caller }) => checkInStatusAnswer(await rewards.status(caller.id)), {
      auth: true,
      response: { 200: CheckInStatus, 401: Problem, 403: Problem },
      detail: { tags, summary: "Today's check-in state, the streak, the next reward and the reward table" },
    })
    .post("/streak-freezes/", async ({ caller, request, set }) => {
      const key = request.headers.get("idempotency-key") ?? undefined;
      if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
        throw new AppError("validation", "validation_failed", "Idempotency-Key must be 1–64 letters, digits, '_' or '-'", {
          errors: [{ path: "/headers/idempotency-key", message: "must be 1–64 letters, digits, '_' or '-'" }],
        });
      }
      const bought = await rewards.buyFreeze(caller.id, key);
      set.status = 201;
      return freezeBoughtAnswer(bought);
    }, {
      auth: true,
      response: { 201: FreezeBought, 400: Problem, 401: Problem, 403: Problem, 409: Problem },
      detail: {
        tags,
        summary: "Buy one streak freeze with XP",
        description: `Costs ${rules.freezeCost} XP; at most ${rules.freezeCap} held at once. 409 \`insufficient_xp\` or \`freeze_cap_reached\`. Send an \`Idempotency-Key\` header to make retries safe: a repeat answers without buying again.`,
      },
    });
}
