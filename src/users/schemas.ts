import { type Static, Type } from "@sinclair/typebox";
import { Streak } from "../rewards/schemas.ts";
import { LINK_KEYS, MAX_BIO_LENGTH } from "./rules.ts";

export const Links = Type.Record(Type.String(), Type.String(), { description: `Social links: ${LINK_KEYS.join(", ")}` });

/** The public profile: GET /api/profiles/{username}/ and the `user` of auth answers. */
export const PublicProfile = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    avatar_url: Type.Union([Type.String(), Type.Null()]),
    banner_url: Type.Union([Type.String(), Type.Null()]),
    bio: Type.String(),
    xp: Type.Integer({ minimum: 0 }),
    level: Type.Integer({ minimum: 1 }),
    streak: Streak,
    links: Links,
    role: Type.Union([Type.Literal("user"), Type.Literal("admin")]),
    created_at: Type.String({ format: "date-time" }),
  },
  { title: "PublicProfile" },
);

/** GET /api/profiles/user/: the caller's own profile. */
export const FullProfile = Type.Object(
  {
    ...PublicProfile.properties,
    email: Type.Union([Type.String(), Type.Null()]),
    streak_freezes: Type.Integer({ minimum: 0 }),
    timezone: Type.String({ description: "IANA time zone; 'today' for check-ins is the date there" }),
    referral_code: Type.String({ description: "Share it: a new user who redeems it and you each get 100 XP" }),
    providers: Type.Array(Type.String(), { description: "OAuth providers linked to this account" }),
  },
  { title: "FullProfile" },
);

const NullableUrl = Type.Union([Type.String({ maxLength: 2048 }), Type.Null()]);

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
  },
  { title: "ReferralRedeemed" },
);

export type PublicProfileAnswer = Static<typeof PublicProfile>;
export type FullProfileAnswer = Static<typeof FullProfile>;
export type ProfileUpdate = Static<typeof ProfileUpdateBody>;
export type RedeemAnswerBody = Static<typeof RedeemAnswer>;
