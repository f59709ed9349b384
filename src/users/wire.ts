import { streakAnswer } from "../rewards/wire.ts";
import { levelFor } from "../xp/levels.ts";
import type { ProfileRecord } from "./profile-service.ts";
import type { Redemption } from "./referral-service.ts";
import type { FullProfileAnswer, ProfileUpdate, PublicProfileAnswer, RedeemAnswerBody } from "./schemas.ts";
import type { ProfileChanges } from "./profile-service.ts";

/** What anyone may see of a profile (no email, no providers). */
export function publicProfileAnswer(record: ProfileRecord): PublicProfileAnswer {
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
  };
}

/** Everything the owner may see of their own profile. */
export function fullProfileAnswer(record: ProfileRecord): FullProfileAnswer {
  return {
    ...publicProfileAnswer(record),
    email: record.email,
    streak_freezes: record.streak.freezes,
    timezone: record.timezone,
    referral_code: record.referralCode,
    providers: record.providers,
  };
}

/** A profile edit's body as the service's changes. */
export function profileChanges(body: ProfileUpdate): ProfileChanges {
  return { avatarUrl: body.avatar_url, bannerUrl: body.banner_url, bio: body.bio, timezone: body.timezone, links: body.links };
}

export function redeemAnswer(redemption: Redemption): RedeemAnswerBody {
  return {
    xp_awarded: redemption.xpAwarded,
    total_xp: redemption.totalXp,
    referrer: redemption.referrer,
    referrer_rewarded: redemption.referrerRewarded,
  };
}
