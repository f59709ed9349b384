import { AppError } from "../errors.ts";
import { streakAnswer } from "../rewards/wire.ts";
import { levelFor } from "../xp/levels.ts";
import type { FollowEntry } from "./follow-service.ts";
import type { ProfileChanges, ProfileRecord } from "./profile-service.ts";
import type { Redemption } from "./referral-service.ts";
import { handleOf } from "./rules.ts";
import type {
  FollowListItemAnswer,
  FollowToggledAnswer,
  FullProfileAnswer,
  ProfileUpdate,
  PublicProfileAnswer,
  RedeemAnswerBody,
  UserProfileAnswer,
} from "./schemas.ts";

/**
 * What anyone may see of a profile (no email, no providers): our members and the original web
 * client's. `own` adds what only its owner sees in the original's `profile` (the referral code).
 */
export function publicProfileAnswer(record: ProfileRecord, own = false): PublicProfileAnswer {
  const admin = record.role === "admin";
  return {
    id: record.id,
    username: record.username,
    avatar_url: record.avatarUrl,
    banner_url: record.bannerUrl,
    bio: record.bio,
    xp: record.xp,
    level: levelFor(record.xp),
    streak: streakAnswer(record.streak),
    links: record.links,
    role: record.role,
    created_at: record.createdAt.toISOString(),
    first_name: record.firstName,
    last_name: record.lastName,
    is_staff: admin,
    is_superuser: admin,
    is_active: !record.disabled,
    followers_count: record.followersCount,
    following_count: record.followingCount,
    profile: {
      provider: record.lastSignInProvider ?? "local",
      avatar_url: record.avatarUrl,
      banner_url: record.bannerUrl,
      bio: record.bio,
      xp: record.xp,
      ...(own ? { referral_code: record.referralCode } : {}),
      is_referred: record.referred,
      created_at: record.createdAt.toISOString(),
      github_username: handleOf("github", record.links.github),
      leetcode_username: handleOf("leetcode", record.links.leetcode),
    },
  };
}

/** Everything the owner may see of their own profile. */
export function fullProfileAnswer(record: ProfileRecord): FullProfileAnswer {
  return {
    ...publicProfileAnswer(record, true),
    email: record.email,
    streak_freezes: record.streak.freezes,
    timezone: record.timezone,
    referral_code: record.referralCode,
    providers: record.providers,
  };
}

export function userProfileAnswer(record: ProfileRecord, isFollowing: boolean): UserProfileAnswer {
  return { ...publicProfileAnswer(record), is_following: isFollowing };
}

/** An image member of a profile edit: the bytes of a file sent as multipart, nothing else. */
async function image(value: unknown, path: string): Promise<Uint8Array | undefined> {
  if (value === undefined) return undefined;
  if (value instanceof Blob) return new Uint8Array(await value.arrayBuffer());
  throw new AppError("validation", "validation_failed", "The profile update is invalid", { errors: [{ path, message: "must be an uploaded file (multipart/form-data)" }] });
}

/** A profile edit's body, JSON or multipart, as the service's changes. */
export async function profileChanges(body: ProfileUpdate): Promise<ProfileChanges> {
  const links: Record<string, string | null> = { ...body.links };
  if (body.github_username !== undefined) links.github = body.github_username;
  if (body.leetcode_username !== undefined) links.leetcode = body.leetcode_username;
  return {
    avatarUrl: body.avatar_url,
    bannerUrl: body.banner_url,
    bio: body.bio,
    timezone: body.timezone,
    links: body.links !== undefined || body.github_username !== undefined || body.leetcode_username !== undefined ? links : undefined,
    username: body.username,
    firstName: body.first_name,
    lastName: body.last_name,
    avatar: await image(body.avatar, "/avatar"),
    banner: await image(body.banner, "/banner"),
  };
}

export function redeemAnswer(redemption: Redemption): RedeemAnswerBody {
  return {
    xp_awarded: redemption.xpAwarded,
    total_xp: redemption.totalXp,
    referrer: redemption.referrer,
    referrer_rewarded: redemption.referrerRewarded,
    message: `Referral code redeemed: +${redemption.xpAwarded} XP`,
    new_total_xp: redemption.totalXp,
  };
}

export function followToggledAnswer(result: { following: boolean; followersCount: number; followingCount: number }): FollowToggledAnswer {
  return { is_following: result.following, follower_count: result.followersCount, followers_count: result.followersCount, following_count: result.followingCount };
}

export function followListItemAnswer(entry: FollowEntry): FollowListItemAnswer {
  return { username: entry.username, first_name: entry.firstName, avatar_url: entry.avatarUrl, is_following: entry.viewerFollows };
}

/** The answer to an account deletion (both paths). */
export function accountDeletedAnswer(): { message: string } {
  return { message: "Your account has been deleted." };
}
