import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import type { AuthGuard } from "../http/auth-guard.ts";
import { nextLink } from "../http/pagination.ts";
import { Problem } from "../http/schemas.ts";
import type { UserService } from "./user-service.ts";
import type { AccountService } from "./account-service.ts";
import type { FollowService } from "./follow-service.ts";
import type { ProfileService } from "./profile-service.ts";
import { REFERRAL_XP, type ReferralService } from "./referral-service.ts";
import { MAX_BIO_LENGTH } from "./rules.ts";
import {
  AdminUsersQuery,
  BlockToggled,
  Deleted,
  FollowListItem,
  FollowListQuery,
  FollowToggled,
  FullProfile,
  ProfileUpdateBody,
  PublicProfile,
  RedeemAnswer,
  RedeemBody,
  UsernameParams,
  UserProfile,
} from "./schemas.ts";
import { accountDeletedAnswer, followListItemAnswer, followToggledAnswer, fullProfileAnswer, profileChanges, publicProfileAnswer, redeemAnswer, userProfileAnswer } from "./wire.ts";

const tags = ["profiles"];

/** The paths whose edits may come as multipart/form-data (with image files): the body parser lets them. */
export const PROFILE_UPLOAD_PATHS = ["/api/profiles/user/", "/api/profiles/user/update/"];

export interface ProfileRouteDeps {
  profiles: ProfileService;
  referrals: ReferralService;
  follows: FollowService;
  accounts: AccountService;
  users: UserService;
  guard: AuthGuard;
  referralDailyCap: number;
  publicUrl: string | null;
}

/**
 * /api/profiles/: the caller's profile, its edits (JSON or multipart with images), referrals and
 * deletion; public profiles; follows; and the admins' user list — ours and the original web
 * client's routes.
 */
export function profileRoutes({ profiles, referrals, follows, accounts, users, guard, referralDailyCap, publicUrl }: ProfileRouteDeps) {
  const update = {
    auth: true as const,
    body: ProfileUpdateBody,
    response: { 200: FullProfile, 400: Problem, 401: Problem, 403: Problem, 409: Problem },
  };
  const updateDoc = `Partial update: only the fields sent change. JSON, or multipart/form-data as the original web client sends it (text fields, and \`avatar\` / \`banner\` image files: PNG, JPEG, WebP or GIF, stored and served under /media/). Unknown fields, non-http(s) URLs, a bio over ${MAX_BIO_LENGTH} characters, an unknown time zone or link key, an image that is none of those: 400, and nothing changes. \`username\` renames (409 \`username_taken\`).`;
  const edit = async (userId: number, body: Parameters<typeof profileChanges>[0]) => fullProfileAnswer(await profiles.update(userId, await profileChanges(body)));
  const followList = (side: "followers" | "following") =>
    async ({ params, query, viewer, request, set }: { params: { username: string }; query: { limit?: number; cursor?: string }; viewer: { id: number } | null; request: Request; set: { headers: Record<string, string | number> } }) => {
      const page = await follows.list(side, params.username, viewer?.id ?? null, query);
      const link = nextLink(request, publicUrl, page, query.limit);
      if (link) set.headers.link = link;
      return page.items.map(followListItemAnswer);
    };
  return new Elysia({ prefix: "/api/profiles" })
    .use(guard)
    .get("/user/", async ({ caller }) => fullProfileAnswer(await profiles.own(caller.row)), {
      auth: true,
      response: { 200: FullProfile, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's own profile" },
    })
    .patch("/user/", ({ caller, body }) => edit(caller.id, body), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile", description: updateDoc },
    })
    .patch("/user/update/", ({ caller, body }) => edit(caller.id, body), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile (the original frontend's path)", description: updateDoc },
    })
    .put("/user/update/", ({ caller, body }) => edit(caller.id, body), {
      ...update,
      detail: { tags, summary: "Edit the caller's profile (the original frontend's path; same as PATCH)", description: updateDoc },
    })
    .delete("/user/", async ({ caller }) => {
      await accounts.delete(caller.id);
      return accountDeletedAnswer();
    }, {
      auth: true,
      response: { 200: Deleted, 401: Problem, 403: Problem },
      detail: {
        tags,
        summary: "Delete the caller's account",
        description: "Personal data (email, names, bio, images, links, identities, sessions, follows) is erased and the username freed; the XP ledger and payment orders are kept for accounting, detached from any person; chat messages stay, shown as from `deleted-user`.",
      },
    })
    .post("/user/redeem-referral/", async ({ caller, body }) => redeemAnswer(await referrals.redeem(caller.id, body.code)), {
      auth: true,
      body: RedeemBody,
      response: { 200: RedeemAnswer, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem },
      detail: {
        tags,
        summary: "Redeem someone's referral code",
        description: `The caller and the code's owner each get ${REFERRAL_XP} XP, once per user; the owner at most ${referralDailyCap} times in 24 hours (\`referrer_rewarded\` says whether they were). 400 \`own_referral_code\`, 404 \`referral_code_not_found\`, 409 \`referral_already_redeemed\`.`,
      },
    })
    .get("/users/:username/", async ({ params, viewer }) => {
      const record = await profiles.visibleByUsername(params.username);
      return userProfileAnswer(record, await follows.follows(viewer?.id ?? null, record.id));
    }, {
      viewer: true,
      params: UsernameParams,
      response: { 200: UserProfile, 401: Problem, 403: Problem, 404: Problem },
      detail: { tags, summary: "A user's public profile, with whether the caller follows them", description: "No email, no referral code. The bearer token is optional." },
    })
    .post("/users/:username/follow/", async ({ caller, params }) => followToggledAnswer(await follows.toggle(caller.id, params.username)), {
      auth: true,
      params: UsernameParams,
      response: { 200: FollowToggled, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      detail: { tags, summary: "Follow a user, or unfollow one already followed", description: "Answers the state now and the followed user's counts. Yourself: 400 `cannot_follow_self`." },
    })
    .get("/users/:username/followers/", followList("followers"), {
      viewer: true,
      params: UsernameParams,
      query: FollowListQuery,
      response: { 200: Type.Array(FollowListItem), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      detail: { tags, summary: "A user's followers, newest first", description: "A plain array of at most `limit` (default and max 100); the next page's URL is in the `Link` header (rel=\"next\")." },
    })
    .get("/users/:username/following/", followList("following"), {
      viewer: true,
      params: UsernameParams,
      query: FollowListQuery,
      response: { 200: Type.Array(FollowListItem), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      detail: { tags, summary: "Whom a user follows, newest first", description: "A plain array of at most `limit` (default and max 100); the next page's URL is in the `Link` header (rel=\"next\")." },
    })
    .get("/admin/users/", async ({ query, request, set }) => {
      const page = await profiles.newest(query);
      const link = nextLink(request, publicUrl, page, query.limit);
      if (link) set.headers.link = link;
      return page.items.map(fullProfileAnswer);
    }, {
      auth: "admin",
      query: AdminUsersQuery,
      response: { 200: Type.Array(FullProfile), 400: Problem, 401: Problem, 403: Problem },
      detail: { tags, summary: "Every account, newest first (admins)", description: "A plain array of at most `limit` (default and max 100); the next page's URL is in the `Link` header." },
    })
    .post("/admin/users/:username/toggle-block/", async ({ caller, params }) => {
      const user = await users.requireByUsername(params.username);
      if (user.id === caller.id) throw new AppError("validation", "cannot_block_self", "You cannot block yourself");
      await users.setDisabled(user.id, !user.disabled);
      return { message: user.disabled ? `${user.username} is unblocked.` : `${user.username} is blocked.`, is_active: user.disabled };
    }, {
      auth: "admin",
      params: UsernameParams,
      response: { 200: BlockToggled, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      detail: { tags, summary: "Block or unblock an account (admins)", description: "Blocking signs the account out everywhere and refuses it until unblocked (as `coc disable-user`). Yourself: 400 `cannot_block_self`." },
    })
    .get("/:username/", async ({ params }) => publicProfileAnswer(await profiles.visibleByUsername(params.username)), {
      params: UsernameParams,
      response: { 200: PublicProfile, 404: Problem },
      detail: { tags, summary: "A user's public profile", description: "No email, no providers. 404 `user_not_found`." },
    });
}
