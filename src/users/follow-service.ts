import type { Statement } from "bun:sqlite";
import { and, eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { Connection, Db, ReadSnapshot, Tx } from "../db/client.ts";
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
  followed_at: number;
  viewer_follows: number;
}

/** A page of followers or following (parameters written `+$name`: see planner-blind parameters in db/client.ts). */
const LIST = (side: "followers" | "following") => {
  // followers of :user: rows whose followee is :user, the person is the follower; following: the reverse.
  const [mine, theirs] = side === "followers" ? ["followee_id", "follower_id"] : ["follower_id", "followee_id"];
  return `
    SELECT u.id, u.username, u.first_name, p.avatar_url, f.created_at AS followed_at,
           EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = +$viewer AND v.followee_id = u.id) AS viewer_follows
    FROM follows f JOIN users u ON u.id = f.${theirs} JOIN profiles p ON p.user_id = u.id
    WHERE f.${mine} = +$user AND u.disabled = 0
      AND (f.created_at < +$at OR (f.created_at = +$at AND u.id > +$after))
    ORDER BY f.created_at DESC, u.id
    LIMIT +$limit`;
};

/**
 * Who follows whom. Following and unfollowing keep both profiles' counts in the same
 * transaction, so a count always equals its rows.
 */
export class FollowService {
  readonly #lists: Record<"followers" | "following", Statement<ListRow, [Record<string, number>]>>;
  readonly #follows: Statement<{ one: number }, [number, number]>;

  constructor(private readonly deps: { reader: Connection; writer: Writer; snapshot: ReadSnapshot; clock: Clock; users: UserService }) {
    const { sqlite } = deps.reader;
    this.#lists = {
      followers: sqlite.prepare<ListRow, [Record<string, number>]>(LIST("followers")),
      following: sqlite.prepare<ListRow, [Record<string, number>]>(LIST("following")),
    };
    this.#follows = sqlite.prepare<{ one: number }, [number, number]>("SELECT 1 AS one FROM follows WHERE follower_id = ? AND followee_id = ?");
  }

  /** Whether `followerId` follows `followeeId` (false for nobody). */
  follows(followerId: number | null, followeeId: number): boolean {
    this.deps.snapshot.enter();
    return followerId !== null && this.#follows.get(followerId, followeeId) !== null;
  }

  /**
   * Follows `username` if the caller does not yet, unfollows otherwise. Yourself: `cannot_follow_self`;
   * unknown or disabled: `user_not_found`. Answers the state now and the followed user's counts.
   */
  toggle(followerId: number, username: string): Promise<{ following: boolean; followersCount: number; followingCount: number }> {
    return this.deps.writer.run((tx) => {
      const target = this.#visible(username, tx);
      if (target.id === followerId) throw new AppError("validation", "cannot_follow_self", "You cannot follow yourself");
      const existing = tx.select().from(follows).where(and(eq(follows.followerId, followerId), eq(follows.followeeId, target.id))).get();
      if (existing) tx.delete(follows).where(and(eq(follows.followerId, followerId), eq(follows.followeeId, target.id))).run();
      else tx.insert(follows).values({ followerId, followeeId: target.id, createdAt: this.deps.clock.now() }).run();
      const step = existing ? -1 : 1;
      tx.update(profiles).set({ followersCount: sql`${profiles.followersCount} + ${step}` }).where(eq(profiles.userId, target.id)).run();
      tx.update(profiles).set({ followingCount: sql`${profiles.followingCount} + ${step}` }).where(eq(profiles.userId, followerId)).run();
      const counts = tx.select({ followers: profiles.followersCount, following: profiles.followingCount }).from(profiles).where(eq(profiles.userId, target.id)).get()!;
      return { following: !existing, followersCount: counts.followers, followingCount: counts.following };
    });
  }

  /**
   * `username`'s followers (or whom they follow), newest first, in pages of at most 100; each
   * says whether `viewerId` follows that person. Disabled accounts are left out.
   */
  list(side: "followers" | "following", username: string, viewerId: number | null, options: { limit?: number; cursor?: string }): Page<FollowEntry> {
    this.deps.snapshot.enter();
    const user = this.#visible(username, this.deps.reader.db);
    const limit = Math.min(FOLLOW_PAGE_SIZE, Math.max(1, options.limit ?? FOLLOW_PAGE_SIZE));
    const after =
      options.cursor === undefined
        ? { at: Number.MAX_SAFE_INTEGER, id: 0 }
        : decodeCursor(options.cursor, (value) => {
            const [at, id] = Array.isArray(value) ? value : [];
            return Number.isSafeInteger(at) && Number.isSafeInteger(id) ? { at: at as number, id: id as number } : null;
          });
    const rows = this.#lists[side].all({ $user: user.id, $viewer: viewerId ?? 0, $at: after.at, $after: after.id, $limit: limit + 1 });
    return toPage(
      rows,
      limit,
      (row) => ({ id: row.id, username: row.username, firstName: row.first_name, avatarUrl: row.avatar_url, viewerFollows: row.viewer_follows === 1 }),
      (last) => [last.followed_at, last.id],
    );
  }

  /**
   * Removes every follow of `userId`, either way, keeping the others' counts right (the account
   * is being deleted). Inside the caller's unit.
   */
  removeAll(tx: Tx, userId: number): void {
    tx.run(sql`UPDATE profiles SET followers_count = followers_count - 1 WHERE user_id IN (SELECT followee_id FROM follows WHERE follower_id = ${userId})`);
    tx.run(sql`UPDATE profiles SET following_count = following_count - 1 WHERE user_id IN (SELECT follower_id FROM follows WHERE followee_id = ${userId})`);
    tx.delete(follows).where(sql`${follows.followerId} = ${userId} OR ${follows.followeeId} = ${userId}`).run();
    tx.update(profiles).set({ followersCount: 0, followingCount: 0 }).where(eq(profiles.userId, userId)).run();
  }

  #visible(username: string, db: Db | Tx) {
    const user = this.deps.users.findByUsername(username, db);
    if (!user || user.disabled) throw new AppError("not_found", "user_not_found", `No user "${username}"`);
    return user;
  }
}
