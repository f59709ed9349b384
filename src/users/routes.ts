import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard.ts";
import { Problem } from "../http/schemas.ts";
import type { ProfileService } from "./profile-service.ts";
import type { ReferralService } from "./referral-service.ts";
import { REFERRAL_XP } from "./referral-service.ts";
import { MAX_BIO_LENGTH } from "./rules.ts";
import { FullProfile, ProfileUpdateBody, PublicProfile, RedeemAnswer, RedeemBody, UsernameParams } from "./schemas.ts";
import { fullProfileAnswer, profileChanges, publicProfileAnswer, redeemAnswer } from "./wire.ts";

const tags = ["profiles"];

/** /api/profiles/: the caller's profile, its edits and referrals, and public profiles. */
export function profileRoutes({ profiles, referrals, guard, referralDailyCap }: { profiles: ProfileService; referrals: ReferralService; guard: AuthGuard; referralDailyCap: number }) {
  const update = {
    auth: true as const,
    body: ProfileUpdateBody,
    response: { 200: FullProfile, 400: Problem, 401: Problem, 403: Problem },
  };
  const updateDoc = `Partial update: only the fields sent change. Unknown fields, non-http(s) URLs, a bio over ${MAX_BIO_LENGTH} characters, an unknown time zone or link key: 400, and nothing changes.`;
  return new Elysia({ prefix: "/api/profiles" })
    .use(guard)
    .get("/user/", ({ caller }) => fullProfileAnswer(profiles.byId(caller.id)), {
      auth: true,
      response: { 200: FullProfile, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's own profile" },
    })
    .patch("/user/", ({ caller, body }) => fullProfileAnswer(profiles.update(caller.id, profileChanges(body))), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile", description: updateDoc },
    })
    .patch("/user/update/", ({ caller, body }) => fullProfileAnswer(profiles.update(caller.id, profileChanges(body))), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile (the original frontend's path)", description: updateDoc },
    })
    .put("/user/update/", ({ caller, body }) => fullProfileAnswer(profiles.update(caller.id, profileChanges(body))), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile (the original frontend's path; same as PATCH)", description: updateDoc },
    })
    .post("/user/redeem-referral/", ({ caller, body }) => redeemAnswer(referrals.redeem(caller.id, body.code)), {
      auth: true,
      body: RedeemBody,
      response: { 200: RedeemAnswer, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      detail: {
        tags,
        summary: "Redeem someone's referral code",
        description: `The caller and the code's owner each get ${REFERRAL_XP} XP, once per user; the owner at most ${referralDailyCap} times in 24 hours (\`referrer_rewarded\` says whether they were). 400 \`own_referral_code\`, 404 \`referral_code_not_found\`, 409 \`referral_already_redeemed\`.`,
      },
    })
    .get("/:username/", ({ params }) => publicProfileAnswer(profiles.visibleByUsername(params.username)), {
      params: UsernameParams,
      response: { 200: PublicProfile, 404: Problem },
      detail: { tags, summary: "A user's public profile", description: "No email, no providers. 404 `user_not_found`." },
    });
}
