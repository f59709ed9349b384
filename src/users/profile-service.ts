import { eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first, type Store, statement } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import { profiles, users } from "../db/schema.ts";
import { AppError, type FieldError } from "../errors.ts";
import type { Streak } from "../rewards/rules.ts";
import { idCursor, type Page, toPage } from "../pagination.ts";
import { canonicalTimeZone } from "../time-zone.ts";
import type { MediaFolder, MediaStore } from "../web/media-store.ts";
import { HANDLE, httpUrl, LINK_KEYS, MAX_BIO_LENGTH, MAX_NAME_LENGTH, usernameProblem } from "./rules.ts";
import type { UserService } from "./user-service.ts";

/** A user and their profile, as the product knows them (the routes show subsets of it). */
export interface ProfileRecord {
  id: number;
  username: string;
  email: string | null;
  firstName: string;
  lastName: string;
  role: "user" | "admin";
  disabled: boolean;
  /** How the user last signed in: "local" (password) or a provider's name; null before any sign-in. */
  lastSignInProvider: string | null;
  createdAt: Date;
  avatarUrl: string | null;
  bannerUrl: string | null;
  bio: string;
  timezone: string;
  links: Record<string, string>;
  xp: number;
  streak: Streak;
  referralCode: string;
  /** Whether the user redeemed someone's referral code. */
  referred: boolean;
  followersCount: number;
  followingCount: number;
  /** OAuth providers joined to the account, by name. */
  providers: string[];
}

/** What an edit may change; an absent member stays as it is. */
export interface ProfileChanges {
  avatarUrl?: string | null;
  bannerUrl?: string | null;
  bio?: string;
  timezone?: string;
  /** Keys to set; null or "" removes a key. */
  links?: Record<string, string | null>;
  /** A rename: the same rules as a new username. */
  username?: string;
  firstName?: string;
  lastName?: string;
  /** Uploaded images, as their bytes. */
  avatar?: Uint8Array;
  banner?: Uint8Array;
}

/** The user's half of a profile read (as the guard reads it for every signed-in request too). */
export interface UserRow {
  id: number;
  username: string;
  email: string | null;
  first_name: string;
  last_name: string;
  role: "user" | "admin";
  disabled: number;
  last_sign_in_provider: string | null;
  /** Epoch milliseconds (a string from Postgres's int8). */
  created_at: number | string;
}

/** The profile's half, links still JSON text, and the user's providers (owner's reads only). */
interface ProfileRow {
  avatar_url: string | null;
  banner_url: string | null;
  bio: string;
  timezone: string;
  links: string;
  xp: number;
  current_streak: number;
  longest_streak: number;
  streak_freezes: number;
  last_check_in: string | null;
  referral_code: string;
  referred_by_user_id: number | null;
  followers_count: number;
  following_count: number;
  providers?: string | null;
}

export const USER_COLUMNS = "id, username, email, first_name, last_name, role, disabled, last_sign_in_provider, created_at";
const PROFILE_COLUMNS =
  "avatar_url, banner_url, bio, timezone, links, xp, current_streak, longest_streak, streak_freezes, last_check_in, referral_code, referred_by_user_id, followers_count, following_count";
function recordOf(user: UserRow, profile: ProfileRow): ProfileRecord {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    firstName: user.first_name,
    lastName: user.last_name,
    role: user.role,
    disabled: Number(user.disabled) !== 0,
    lastSignInProvider: user.last_sign_in_provider,
    createdAt: new Date(Number(user.created_at)),
    avatarUrl: profile.avatar_url,
    bannerUrl: profile.banner_url,
    bio: profile.bio,
    timezone: profile.timezone,
    links: JSON.parse(profile.links) as Record<string, string>,
    xp: profile.xp,
    streak: { current: profile.current_streak, longest: profile.longest_streak, freezes: profile.streak_freezes, lastCheckIn: profile.last_check_in },
    referralCode: profile.referral_code,
    referred: profile.referred_by_user_id !== null,
    followersCount: profile.followers_count,
    followingCount: profile.following_count,
    providers: profile.providers ? [...new Set(profile.providers.split(","))].sort() : [],
  };
}

const noSuchUser = () => new AppError("not_found", "user_not_found", "No such user");

// Profiles are read on every page of the app: statements written by hand, rows mapped by hand
// (drizzle's mapping cost more than the query), and the user and the profile read by their
// primary keys in two statements — measured faster in SQLite than the same read as one join.
const USER_BY_ID = statement<UserRow, [number]>({ sqlite: `SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, pg: `SELECT ${USER_COLUMNS} FROM users WHERE id = $1` });
const USER_BY_NAME = statement<UserRow, [string]>({
  sqlite: `SELECT ${USER_COLUMNS} FROM users WHERE lower(username) = ?`,
  pg: `SELECT ${USER_COLUMNS} FROM users WHERE lower(username) = $1`,
});
const PROFILE = statement<ProfileRow, [number]>({ sqlite: `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE user_id = ?`, pg: `SELECT ${PROFILE_COLUMNS} FROM profiles WHERE user_id = $1` });
// Not group_concat(DISTINCT …): its temporary B-tree cost 8 µs a read; duplicates go in recordOf.
const OWN_PROFILE = statement<ProfileRow, [number]>({
  sqlite: `SELECT ${PROFILE_COLUMNS}, (SELECT group_concat(provider) FROM identities WHERE user_id = ?1) AS providers FROM profiles WHERE user_id = ?1`,
  pg: `SELECT ${PROFILE_COLUMNS}, (SELECT string_agg(provider, ',') FROM identities WHERE user_id = $1) AS providers FROM profiles WHERE user_id = $1`,
});
const NEWEST = statement<UserRow, [number, number]>({
  sqlite: `SELECT ${USER_COLUMNS} FROM users WHERE deleted_at IS NULL AND id < +? ORDER BY id DESC LIMIT +?`,
  pg: `SELECT ${USER_COLUMNS} FROM users WHERE deleted_at IS NULL AND id < $1 ORDER BY id DESC LIMIT $2`,
});

/** Reads and edits profiles. */
export class ProfileService {
  constructor(private readonly deps: { reader: Store; writer: Writer; clock: Clock; users: UserService; media: MediaStore }) {}

  async #record(user: UserRow | undefined, own: boolean): Promise<ProfileRecord | null> {
    // Callers entered the snapshot before reading the user.
    const profile = user && (await this.deps.reader.one(own ? OWN_PROFILE : PROFILE, user.id));
    return user && profile ? recordOf(user, profile) : null;
  }

  /** Every account, newest first (deleted ones left out), in pages of at most 100: for admins. */
  async newest(options: { limit?: number; cursor?: string }): Promise<Page<ProfileRecord>> {
    const limit = Math.min(100, Math.max(1, options.limit ?? 100));
    const before = idCursor(options.cursor) ?? Number.MAX_SAFE_INTEGER;
    this.deps.reader.enter();
    const rows = await this.deps.reader.many(NEWEST, before, limit + 1);
    const records = await Promise.all(rows.map(async (user) => (await this.#record(user, true))!));
    return toPage(records, limit, (record) => record, (last) => last.id);
  }

  /**
   * The caller's own profile, from the users row their request was authenticated with (read
   * moments ago in the same snapshot) and their profile row: one read.
   */
  async own(user: UserRow): Promise<ProfileRecord> {
    this.deps.reader.enter();
    const record = await this.#record(user, true);
    if (!record) throw noSuchUser();
    return record;
  }

  /** A user's profile by id (disabled or not: the owner and admins see it); `user_not_found` otherwise. */
  async byId(userId: number): Promise<ProfileRecord> {
    this.deps.reader.enter();
    const record = await this.#record(await this.deps.reader.one(USER_BY_ID, userId), true);
    if (!record) throw noSuchUser();
    return record;
  }

  /** The profile of `username` (ignoring case) as others may see it: disabled accounts are not shown. */
  async visibleByUsername(username: string): Promise<ProfileRecord> {
    this.deps.reader.enter();
    const user = await this.deps.reader.one(USER_BY_NAME, username.toLowerCase());
    const record = user && Number(user.disabled) === 0 ? await this.#record(user, false) : null;
    if (!record) throw new AppError("not_found", "user_not_found", `No user "${username}"`);
    return record;
  }

  /**
   * Edits the owner's profile. Every field is checked before anything is written: http(s) URLs
   * only, a bio of at most 500 characters, an IANA time zone, known link keys with URLs or
   * handles, names of at most 150 characters, a rename by the sign-up rules (`username_taken`
   * when someone has it), images that are PNG, JPEG, WebP or GIF by their bytes. One problem
   * anywhere and nothing changes (`validation_failed` with every problem). New images are stored
   * before the write and the ones they replace removed after it.
   */
  async update(userId: number, input: ProfileChanges): Promise<ProfileRecord> {
    const problems: FieldError[] = [];
    const changes: Partial<typeof profiles.$inferInsert> = {};
    const userChanges: Partial<typeof users.$inferInsert> = {};
    for (const [field, column, path] of [["avatarUrl", "avatarUrl", "/avatar_url"], ["bannerUrl", "bannerUrl", "/banner_url"]] as const) {
      const value = input[field];
      if (value === undefined) continue;
      const url = value === null || value === "" ? null : httpUrl(value);
      if (value !== null && value !== "" && url === null) problems.push({ path, message: "must be an http(s) URL" });
      changes[column] = url;
    }
    if (input.bio !== undefined) {
      const bio = input.bio.trim();
      if ([...bio].length > MAX_BIO_LENGTH) problems.push({ path: "/bio", message: `must be at most ${MAX_BIO_LENGTH} characters` });
      changes.bio = bio;
    }
    if (input.timezone !== undefined) {
      const zone = canonicalTimeZone(input.timezone);
      if (zone === null) problems.push({ path: "/timezone", message: "must be an IANA time zone such as Europe/Paris" });
      else changes.timezone = zone;
    }
    for (const [field, path] of [["firstName", "/first_name"], ["lastName", "/last_name"]] as const) {
      const value = input[field]?.trim();
      if (value === undefined) continue;
      if ([...value].length > MAX_NAME_LENGTH) problems.push({ path, message: `must be at most ${MAX_NAME_LENGTH} characters` });
      userChanges[field] = value;
    }
    if (input.username !== undefined) {
      const problem = usernameProblem(input.username.trim());
      if (problem) problems.push(problem);
      else userChanges.username = input.username.trim();
    }
    const linkChanges = input.links === undefined ? undefined : this.#linkChanges(input.links, problems);
    const images: [MediaFolder, Uint8Array, "avatarUrl" | "bannerUrl"][] = [];
    for (const [field, folder, column] of [["avatar", "avatars", "avatarUrl"], ["banner", "banners", "bannerUrl"]] as const) {
      const bytes = input[field];
      if (bytes === undefined) continue;
      try {
        this.deps.media.check(bytes, `/${field}`);
        images.push([folder, bytes, column]);
      } catch (error) {
        problems.push(...((error as AppError).extra.errors ?? []));
      }
    }
    if (problems.length > 0) throw new AppError("validation", "validation_failed", "The profile update is invalid", { errors: problems });

    const stored = images.map(([folder, bytes, column]) => {
      const url = this.deps.media.save(folder, bytes);
      changes[column] = url;
      return url;
    });
    try {
      const replaced = await this.deps.writer.run(async (tx) => {
        const current = first(await tx.db.select().from(profiles).where(eq(profiles.userId, userId)));
        if (!current) throw noSuchUser();
        if (userChanges.username !== undefined) {
          const holder = await this.deps.users.findByUsername(userChanges.username, tx);
          if (holder && holder.id !== userId) throw new AppError("conflict", "username_taken", `The username "${userChanges.username}" is taken`);
        }
        if (linkChanges) {
          const links: Record<string, string> = { ...current.links };
          for (const [key, value] of Object.entries(linkChanges)) {
            if (value === null) delete links[key];
            else links[key] = value;
          }
          changes.links = links;
        }
        const now = this.deps.clock.now();
        await tx.db.update(profiles).set({ ...changes, updatedAt: now }).where(eq(profiles.userId, userId));
        if (Object.keys(userChanges).length > 0) await tx.db.update(users).set({ ...userChanges, updatedAt: now }).where(eq(users.id, userId));
        return [changes.avatarUrl !== undefined ? current.avatarUrl : null, changes.bannerUrl !== undefined ? current.bannerUrl : null];
      });
      const record = await this.byId(userId);
      for (const url of replaced) if (url !== record.avatarUrl && url !== record.bannerUrl) this.deps.media.remove(url);
      return record;
    } catch (error) {
      for (const url of stored) this.deps.media.remove(url);
      throw error;
    }
  }

  #linkChanges(input: Record<string, string | null>, problems: FieldError[]): Record<string, string | null> {
    const changes: Record<string, string | null> = {};
    for (const [key, raw] of Object.entries(input)) {
      if (!(LINK_KEYS as readonly string[]).includes(key)) {
        problems.push({ path: `/links/${key}`, message: `unknown link; known: ${LINK_KEYS.join(", ")}` });
        continue;
      }
      const text = raw?.trim() ?? "";
      if (text === "") {
        changes[key] = null;
        continue;
      }
      const url = httpUrl(text);
      if (url) changes[key] = url;
      else if (key !== "website" && HANDLE.test(text)) changes[key] = text.replace(/^@/, "");
      else problems.push({ path: `/links/${key}`, message: key === "website" ? "must be an http(s) URL" : "must be an http(s) URL or a handle" });
    }
    return changes;
  }
}
