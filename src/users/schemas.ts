import { t } from "elysia";

export const Streak = t.Object({
  current: t.Integer({ minimum: 0 }),
  longest: t.Integer({ minimum: 0 }),
  freezes: t.Integer({ minimum: 0 }),
  last_check_in: t.Union([t.String({ format: "date" }), t.Null()], { description: "The user's local date of the last check-in" }),
});

export const Links = t.Record(t.String(), t.String(), { description: "Social links: github, linkedin, leetcode, website …" });

/** The public profile: GET /api/profiles/{username}/ and the `user` of auth answers. */
export const PublicProfile = t.Object(
  {
    id: t.Integer(),
    username: t.String(),
    avatar_url: t.Union([t.String(), t.Null()]),
    banner_url: t.Union([t.String(), t.Null()]),
    bio: t.String(),
    xp: t.Integer({ minimum: 0 }),
    level: t.Integer({ minimum: 1 }),
    streak: Streak,
    links: Links,
    role: t.Union([t.Literal("user"), t.Literal("admin")]),
    created_at: t.String({ format: "date-time" }),
  },
  { title: "PublicProfile" },
);

/** GET /api/profiles/user/: the caller's own profile. */
export const FullProfile = t.Object(
  {
    ...PublicProfile.properties,
    email: t.Union([t.String(), t.Null()]),
    streak_freezes: t.Integer({ minimum: 0 }),
    timezone: t.String({ description: "IANA time zone; 'today' for check-ins is the date there" }),
    referral_code: t.String({ description: "Share it: a new user who redeems it and you each get 100 XP" }),
    providers: t.Array(t.String(), { description: "OAuth providers linked to this account" }),
  },
  { title: "FullProfile" },
);

const NullableUrl = t.Union([t.String({ maxLength: 2048 }), t.Null()]);

export const ProfileUpdateBody = t.Object(
  {
    avatar_url: t.Optional(NullableUrl),
    banner_url: t.Optional(NullableUrl),
    bio: t.Optional(t.String({ maxLength: 2000, description: "At most 500 characters" })),
    timezone: t.Optional(t.String({ maxLength: 64, description: "IANA name, e.g. Asia/Kolkata" })),
    links: t.Optional(
      t.Record(t.String(), t.Union([t.String({ maxLength: 2048 }), t.Null()]), {
        description: "github, gitlab, linkedin, leetcode, codeforces, codechef, hackerrank, twitter, website: an http(s) URL or a handle (website: URL); null or '' removes",
      }),
    ),
  },
  { additionalProperties: false, title: "ProfileUpdate" },
);

export const RedeemBody = t.Object({ code: t.String({ minLength: 1, maxLength: 32 }) }, { additionalProperties: false });

export const RedeemAnswer = t.Object(
  {
    xp_awarded: t.Integer(),
    total_xp: t.Integer(),
    referrer: t.String(),
    referrer_rewarded: t.Boolean({ description: "False when the code's owner already received their most referral rewards in 24 hours" }),
  },
  { title: "ReferralRedeemed" },
);
