import { eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import { identities, oauthStates, profiles, refreshTokens, users } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { MediaStore } from "../web/media-store.ts";
import type { FollowService } from "./follow-service.ts";

/** The name a deleted account's row keeps: no sign-up can choose it (a '~' is not allowed). */
export const deletedName = (userId: number) => `~deleted-${userId}`;

/** Ending an account at its owner's request. */
export class AccountService {
  constructor(private readonly deps: { writer: Writer; clock: Clock; log: Logger; follows: FollowService; media: MediaStore }) {}

  /**
   * Deletes the account: in one unit of work its personal data is erased (email, names, password,
   * bio, images, links, time zone, OAuth identities, sessions, follows) and its username freed; the
   * row stays, disabled, so that the XP ledger and payment orders it owns are kept for accounting
   * detached from any person, and its chat messages show as from `deleted-user`. Its images are
   * removed from the disk after the commit.
   */
  async delete(userId: number): Promise<void> {
    const images = await this.deps.writer.run(async (tx) => {
      const user = first(await tx.db.select({ id: users.id, deletedAt: users.deletedAt }).from(users).where(eq(users.id, userId)));
      if (!user || user.deletedAt) throw new AppError("not_found", "user_not_found", "No such user");
      const profile = first(await tx.db.select({ avatarUrl: profiles.avatarUrl, bannerUrl: profiles.bannerUrl }).from(profiles).where(eq(profiles.userId, userId)));
      const now = this.deps.clock.now();
      await this.deps.follows.removeAll(tx, userId);
      await tx.db.delete(identities).where(eq(identities.userId, userId));
      await tx.db.delete(refreshTokens).where(eq(refreshTokens.userId, userId));
      await tx.db.delete(oauthStates).where(eq(oauthStates.linkUserId, userId));
      await tx.db
        .update(users)
        .set({
          username: deletedName(userId),
          email: null,
          emailVerified: false,
          passwordHash: null,
          firstName: "",
          lastName: "",
          role: "user",
          disabled: true,
          lastSignInProvider: null,
          deletedAt: now,
          updatedAt: now,
        })
        .where(eq(users.id, userId));
      await tx.db
        .update(profiles)
        .set({ avatarUrl: null, bannerUrl: null, bio: "", links: sql`'{}'`, timezone: "UTC", updatedAt: now })
        .where(eq(profiles.userId, userId));
      return [profile?.avatarUrl ?? null, profile?.bannerUrl ?? null];
    });
    for (const url of images) this.deps.media.remove(url);
    this.deps.log.info("account deleted", { user_id: userId });
  }
}
