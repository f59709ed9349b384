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
