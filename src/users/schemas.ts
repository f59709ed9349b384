import { type Static, Type } from "@sinclair/typebox";
import { t } from "elysia";
import { Streak } from "../rewards/schemas.ts";
import { LINK_KEYS, MAX_BIO_LENGTH, MAX_NAME_LENGTH } from "./rules.ts";

export const Links = Type.Record(Type.String(), Type.String(), { description: `Social links: ${LINK_KEYS.join(", ")}` });

const NullableString = Type.Union([Type.String(), Type.Null()]);

/** The `profile` member of the original web client's user object. */
export const OriginalProfile = Type.Object(
  {
    provider: Type.String({ description: "How the user last signed in: local (password), github, google or discord" }),
    avatar_url: NullableString,
    banner_url: NullableString,
    bio: Type.String(),
    xp: Type.Integer({ minimum: 0 }),
    referral_code: Type.Optional(Type.String({ description: "Only in the user's own answers" })),
    is_referred: Type.Boolean(),
    created_at: Type.String({ format: "date-time" }),
    github_username: NullableString,
    leetcode_username: NullableString,
  },
  { title: "OriginalProfile" },
);

/** The members of the original Django service's user object, beside ours. */
const originalMembers = {
  first_name: Type.String(),
  last_name: Type.String(),
  is_staff: Type.Boolean({ description: "True for admins" }),
  is_superuser: Type.Boolean({ description: "True for admins" }),
  is_active: Type.Boolean({ description: "False for a disabled account" }),
  followers_count: Type.Integer({ minimum: 0 }),
  following_count: Type.Integer({ minimum: 0 }),
  profile: OriginalProfile,
};

/** The public profile: GET /api/profiles/{username}/ and the `user` of auth answers. */
export const PublicProfile = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    avatar_url: NullableString,
    banner_url: NullableString,
    bio: Type.String(),
    xp: Type.Integer({ minimum: 0 }),
    level: Type.Integer({ minimum: 1 }),
    streak: Streak,
    links: Links,
    role: Type.Union([Type.Literal("user"), Type.Literal("admin")]),
    created_at: Type.String({ format: "date-time" }),
    ...originalMembers,
  },
  { title: "PublicProfile" },
);

/** GET /api/profiles/user/ and profile edits: the caller's own profile. */
export const FullProfile = Type.Object(
  {
    ...PublicProfile.properties,
    email: NullableString,
    streak_freezes: Type.Integer({ minimum: 0 }),
    timezone: Type.String({ description: "IANA time zone; 'today' for check-ins is the date there" }),
    referral_code: Type.String({ description: "Share it: a new user who redeems it and you each get 100 XP" }),
    providers: Type.Array(Type.String(), { description: "OAuth providers linked to this account" }),
  },
  { title: "FullProfile" },
);

/** GET /api/profiles/users/{username}/: the public profile and whether the caller follows them. */
export const UserProfile = Type.Object(
  { ...PublicProfile.properties, is_following: Type.Boolean({ description: "Whether the caller follows this user (false for anonymous callers)" }) },
  { title: "UserProfile" },
);

const NullableUrl = Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]);
const Name = (description: string) => Type.Optional(Type.String({ maxLength: MAX_NAME_LENGTH, description }));
/** An uploaded image (multipart only): PNG, JPEG, WebP or GIF, judged by its bytes. */
const Image = (description: string) => t.Optional(t.File({ description }));

/**
 * A profile edit, as JSON or as multipart/form-data (what the original web client sends, with
 * `avatar` and `banner` files). Only the members sent change.
 */
export const ProfileUpdateBody = Type.Object(
  {
    avatar_url: Type.Optional(NullableUrl),
    banner_url: Type.Optional(NullableUrl),
    bio: Type.Optional(Type.String({ maxLength: 2000, description: `At most ${MAX_BIO_LENGTH} characters` })),
    timezone: Type.Optional(Type.String({ maxLength: 64, description: "IANA name, e.g. Asia/Kolkata" })),
    links: Type.Optional(
      Type.Record(Type.String(), Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]), {
        description: `${LINK_KEYS.join(", ")}: an http(s) URL or a handle (website: URL); null or '' removes`,
      }),
    ),
    username: Type.Optional(Type.String({ maxLength: 64, description: "A new username (same rules as sign-up); taken → 409" })),
    first_name: Name(`At most ${MAX_NAME_LENGTH} characters`),
    last_name: Name(`At most ${MAX_NAME_LENGTH} characters`),
    github_username: Type.Optional(Type.String({ maxLength: 100, description: "Sets links.github ('' removes)" })),
    leetcode_username: Type.Optional(Type.String({ maxLength: 100, description: "Sets links.leetcode ('' removes)" })),
    avatar: Image("multipart only: a new avatar (PNG, JPEG, WebP or GIF)"),
    banner: Image("multipart only: a new banner (PNG, JPEG, WebP or GIF)"),
  },
  { additionalProperties: false, title: "ProfileUpdate" },
);

export const UsernameParams = Type.Object({ username: Type.String({ maxLength: 64 }) });

export const RedeemBody = Type.Object({ code: Type.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false, title: "RedeemReferral" });

export const RedeemAnswer = Type.Object(
  {
    xp_awarded: Type.Integer(),
    total_xp: Type.Integer(),
    referrer: Type.String(),
    referrer_rewarded: Type.Boolean({ description: "False when the code's owner already received their most referral rewards in 24 hours" }),
    message: Type.String(),
    new_total_xp: Type.Integer({ description: "The same as total_xp (the original web client's name)" }),
  },
  { title: "ReferralRedeemed" },
);

export const FollowToggled = Type.Object(
  {
    is_following: Type.Boolean(),
    follower_count: Type.Integer({ description: "The followed user's followers (the original's name)" }),
    followers_count: Type.Integer({ description: "The followed user's followers" }),
    following_count: Type.Integer({ description: "Whom the followed user follows" }),
  },
  { title: "FollowToggled" },
);

export const FollowListItem = Type.Object(
  {
    username: Type.String(),
    first_name: Type.String(),
    avatar_url: NullableString,
    is_following: Type.Boolean({ description: "Whether the caller follows this person" }),
  },
  { title: "FollowListItem" },
);

/** `?limit=&cursor=` of the follow lists (plain arrays, the next page in a Link header). */
export const FollowListQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, description: "Page size (default and max 100)" })),
  cursor: t.Optional(t.String({ maxLength: 200, description: "From the Link header of the previous page" })),
});

export const AdminUsersQuery = FollowListQuery;

export const BlockToggled = Type.Object({ message: Type.String(), is_active: Type.Boolean() }, { title: "BlockToggled" });

export const Deleted = Type.Object({ message: Type.String() }, { title: "AccountDeleted" });

export type PublicProfileAnswer = Static<typeof PublicProfile>;
export type FullProfileAnswer = Static<typeof FullProfile>;
export type UserProfileAnswer = Static<typeof UserProfile>;
export type ProfileUpdate = Static<typeof ProfileUpdateBody>;
export type RedeemAnswerBody = Static<typeof RedeemAnswer>;
export type FollowToggledAnswer = Static<typeof FollowToggled>;
export type FollowListItemAnswer = Static<typeof FollowListItem>;
