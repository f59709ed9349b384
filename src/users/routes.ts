import { Elysia, t } from "elysia";
import type { AppContext } from "../context.ts";
import { authGuard } from "../http/auth-guard.ts";
import { Problem } from "../http/schemas.ts";
import { FullProfile, ProfileUpdateBody, PublicProfile, RedeemAnswer, RedeemBody } from "./schemas.ts";

const tags = ["profiles"];

/** /api/profiles/: the caller's profile, its edits and referrals, and public profiles. */
export function profileRoutes(ctx: AppContext) {
  const { profiles, referrals } = ctx.services;
  const update = {
    auth: true as const,
    body: ProfileUpdateBody,
    response: { 200: FullProfile, 400: Problem, 401: Problem, 403: Problem },
  };
  const updateDoc = "Partial update: only the fields sent change. Unknown fields, non-http(s) URLs, a bio over 500 characters, an unknown time zone or link key: 400, and nothing changes.";
  return new Elysia({ prefix: "/api/profiles" })
    .use(authGuard(ctx))
    .get("/user/", ({ caller }) => profiles.fullProfile(caller.id), {
      auth: true,
      response: { 200: FullProfile, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's own profile" },
    })
    .patch("/user/", ({ caller, body }) => profiles.update(caller.id, body), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile", description: updateDoc },
    })
    .patch("/user/update/", ({ caller, body }) => profiles.update(caller.id, body), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile (the original frontend's path)", description: updateDoc },
    })
    .put("/user/update/", ({ caller, body }) => profiles.update(caller.id, body), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile (the original frontend's path; same as PATCH)", description: updateDoc },
    })
    .post("/user/redeem-referral/", ({ caller, body }) => referrals.redeem(caller.id, body.code), {
      auth: true,
      body: RedeemBody,
      response: { 200: RedeemAnswer, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      detail: {
        tags,
        summary: "Redeem someone's referral code",
        description: "The caller and the code's owner each get 100 XP, once per user. 400 `own_referral_code`, 404 `referral_code_not_found`, 409 `referral_already_redeemed`.",
      },
    })
    .get("/:username/", ({ params }) => profiles.publicProfileByUsername(params.username), {
      params: t.Object({ username: t.String({ maxLength: 64 }) }),
      response: { 200: PublicProfile, 404: Problem },
      detail: { tags, summary: "A user's public profile", description: "No email, no providers. 404 `user_not_found`." },
    });
}
