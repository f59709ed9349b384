import { eq } from "drizzle-orm";
import type { Db, Tx } from "../db/client.ts";
import { profiles, users } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { levelFor } from "../xp/levels.ts";

export interface PublicProfile {
  id: number;
  username: string;
  avatar_url: string | null;
  banner_url: string | null;
  bio: string;
  xp: number;
  level: number;
  streak: { current: number; longest: number; freezes: number; last_check_in: string | null };
  links: Record<string, string>;
  role: "user" | "admin";
  created_at: string;
}

/** Reads profiles in the shapes of API.md. */
export class ProfileService {
  constructor(private readonly deps: { db: Db }) {}

  /** The public subset: no email, no providers. */
  publicProfile(userId: number, tx: Db | Tx = this.deps.db): PublicProfile {
    const row = tx
      .select({ user: users, profile: profiles })
      .from(users)
      .innerJoin(profiles, eq(profiles.userId, users.id))
      .where(eq(users.id, userId))
      .get();
    if (!row) throw new AppError("not_found", "user_not_found", "No such user");
    const { user, profile } = row;
    return {
      id: user.id,
      username: user.username,
      avatar_url: profile.avatarUrl,
      banner_url: profile.bannerUrl,
      bio: profile.bio,
      xp: profile.xp,
      level: levelFor(profile.xp),
      streak: {
        current: profile.currentStreak,
        longest: profile.longestStreak,
        freezes: profile.streakFreezes,
        last_check_in: profile.lastCheckIn,
      },
      links: profile.links,
      role: user.role,
      created_at: user.createdAt.toISOString(),
    };
  }
}
