import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first, type Store, statement, type Tx } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import { follows, profiles } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { decodeCursor, type Page, toPage } from "../pagination.ts";
import type { UserService } from "./user-service.ts";

/** A person in someone's followers or following list, as the caller sees them. */
export interface FollowEntry {
  id: number;
  username: string;
  firstName: string;
  avatarUrl: string | null;
  /** Whether the caller follows this person (false for anonymous callers). */
  viewerFollows: boolean;
}

/** The most a follow list page holds (and its default). */
export const FOLLOW_PAGE_SIZE = 100;

interface ListRow {
  id: number;
  username: string;
  first_name: string;
  avatar_url: string | null;
  /** Epoch milliseconds (a string from Postgres's int8). */
  followed_at: number | string;
  viewer_follows: number;
}

/**
 * A page of followers or following. Parameters: the user, the viewer, the cursor's time and id,
 * the limit (SQLite's written `+?n`: see planner-blind parameters in db/client.ts).
 */
const LIST = (side: "followers" | "following") => {
  // followers of :user: rows whose followee is :user, the person is the follower; following: the reverse.
  const [mine, theirs] = side === "followers" ? ["followee_id", "follower_id"] : ["follower_id", "followee_id"];
  const text = (p: (n: number) => string, viewerFollows: string) => `
    SELECT u.id, u.username, u.first_name, p.avatar_url, f.created_at AS followed_at, ${viewerFollows} AS viewer_follows
    FROM follows f JOIN users u ON u.id = f.${theirs} JOIN profiles p ON p.user_id = u.id
    WHERE f.${mine} = ${p(1)} AND u.disabled = 0
      AND (f.created_at < ${p(3)} OR (f.created_at = ${p(3)} AND u.id > ${p(4)}))
    ORDER BY f.created_at DESC, u.id
    LIMIT ${p(5)}`;
  return statement<ListRow, [number, number, number, number, number]>({
    sqlite: text((n) => `+?${n}`, "EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = +?2 AND v.followee_id = u.id)"),
    pg: text((n) => `$${n}`, "EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = $2 AND v.followee_id = u.id)::int"),
  });
};
const LISTS = { followers: LIST("followers"), following: LIST("following") };
// An account's follows going away: the others' counts go down with them.
const UNCOUNT_FOLLOWED = statement<never, [number]>({
  sqlite: "UPDATE profiles SET followers_count = followers_count - 1 WHERE user_id IN (SELECT followee_id FROM follows WHERE follower_id = ?)",
  pg: "UPDATE profiles SET followers_count = followers_count - 1 WHERE user_id IN (SELECT followee_id FROM follows WHERE follower_id = $1)",
});
const UNCOUNT_FOLLOWERS = statement<never, [number]>({
  sqlite: "UPDATE profiles SET following_count = following_count - 1 WHERE user_id IN (SELECT follower_id FROM follows WHERE followee_id = ?)",
  pg: "UPDATE profiles SET following_count = following_count - 1 WHERE user_id IN (SELECT follower_id FROM follows WHERE followee_id = $1)",
});
const FOLLOWS = statement<{ one: number }, [number, number]>({
  sqlite: "SELECT 1 AS one FROM follows WHERE follower_id = ? AND followee_id = ?",
  pg: "SELECT 1 AS one FROM follows WHERE follower_id = $1 AND followee_id = $2",
});

/**
 * Who follows whom. Following and unfollowing keep both profiles' counts in the same
 * transaction, so a count always equals its rows.
 */
export class FollowService {
  constructor(private readonly deps: { reader: Store; writer: Writer; clock: Clock; users: UserService }) {}

  /** Whether `followerId` follows `followeeId` (false for nobody). */
  async follows(followerId: number | null, followeeId: number): Promise<boolean> {
    this.deps.reader.enter();
    return followerId !== null && (await this.deps.reader.one(FOLLOWS, followerId, followeeId)) !== undefined;
  }

  /**
   * Follows `username` if the caller does not yet, unfollows otherwise. Yourself: `cannot_follow_self`;
   * unknown or disabled: `user_not_found`. Answers the state now and the followed user's counts.
   */
  toggle(followerId: number, username: string): Promise<{ following: boolean; followersCount: number; followingCount: number }> {
    return this.deps.writer.run(async (tx) => {
      const target = await this.#visible(username, tx);
      if (target.id === followerId) throw new AppError("validation", "cannot_follow_self", "You cannot follow yourself");
      const existing = first(await tx.db.select().from(follows).where(and(eq(follows.followerId, followerId), eq(follows.followeeId, target.id))));
      if (existing) await tx.db.delete(follows).where(and(eq(follows.followerId, followerId), eq(follows.followeeId, target.id)));
      else await tx.db.insert(follows).values({ followerId, followeeId: target.id, createdAt: this.deps.clock.now() });
      const step = existing ? -1 : 1;
      await tx.db.update(profiles).set({ followersCount: sql`${profiles.followersCount} + ${step}` }).where(eq(profiles.userId, target.id));
      await tx.db.update(profiles).set({ followingCount: sql`${profiles.followingCount} + ${step}` }).where(eq(profiles.userId, followerId));
      const counts = first(await tx.db.select({ followers: profiles.followersCount, following: profiles.followingCount }).from(profiles).where(eq(profiles.userId, target.id)))!;
      return { following: !existing, followersCount: counts.followers, followingCount: counts.following };
    });
  }

  /**
   * `username`'s followers (or whom they follow), newest first, in pages of at most 100; each
   * says whether `viewerId` follows that person. Disabled accounts are left out.
   */
  async list(side: "followers" | "following", username: string, viewerId: number | null, options: { limit?: number; cursor?: string }): Promise<Page<FollowEntry>> {
    this.deps.reader.enter();
    const user = await this.#visible(username, this.deps.reader);
    const limit = Math.min(FOLLOW_PAGE_SIZE, Math.max(1, options.limit ?? FOLLOW_PAGE_SIZE));
    const after =
      options.cursor === undefined
        ? { at: Number.MAX_SAFE_INTEGER, id: 0 }
        : decodeCursor(options.cursor, (value) => {
            const [at, id] = Array.isArray(value) ? value : [];
            return Number.isSafeInteger(at) && Number.isSafeInteger(id) ? { at: at as number, id: id as number } : null;
          });
    const rows = await this.deps.reader.many(LISTS[side], user.id, viewerId ?? 0, after.at, after.id, limit + 1);
    return toPage(
      rows,
      limit,
      (row) => ({ id: row.id, username: row.username, firstName: row.first_name, avatarUrl: row.avatar_url, viewerFollows: Number(row.viewer_follows) === 1 }),
      (last) => [Number(last.followed_at), last.id],
    );
  }

  /**
   * Removes every follow of `userId`, either way, keeping the others' counts right (the account
   * is being deleted). Inside the caller's unit.
   */
  async removeAll(tx: Tx, userId: number): Promise<void> {
    await tx.run(UNCOUNT_FOLLOWED, userId);
    await tx.run(UNCOUNT_FOLLOWERS, userId);
    await tx.db.delete(follows).where(sql`${follows.followerId} = ${userId} OR ${follows.followeeId} = ${userId}`);
    await tx.db.update(profiles).set({ followersCount: 0, followingCount: 0 }).where(eq(profiles.userId, userId));
  }

  async #visible(username: string, store: Store) {
    const user = await this.deps.users.findByUsername(username, store);
    if (!user || user.disabled) throw new AppError("not_found", "user_not_found", `No user "${username}"`);
    return user;
  }
}
