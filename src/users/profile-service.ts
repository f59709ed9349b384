import { eq, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { type Db, type Tx, writeTransaction } from "../db/client.ts";
import { identities, profiles, users } from "../db/schema.ts";
import { AppError, type FieldError } from "../errors.ts";
import { canonicalTimeZone } from "../time-zone.ts";
import { levelFor } from "../xp/levels.ts";

export interface Streak {
  current: number;
  longest: number;
  freezes: number;
  last_check_in: string | null;
}

export interface PublicProfile {
  id: number;
  username: string;
  avatar_url: string | null;
  banner_url: string | null;
  bio: string;
  xp: number;
  level: number;
  streak: Streak;
  links: Record<string, string>;
  role: "user" | "admin";
  created_at: string;
}

/** The caller's own profile: the public one plus what only its owner sees. */
export interface FullProfile extends PublicProfile {
  email: string | null;
  streak_freezes: number;
  timezone: string;
  referral_code: string;
  providers: string[];
}

export interface ProfileUpdate {
  avatar_url?: string | null;
  banner_url?: string | null;
  bio?: string;
  timezone?: string;
  /** Keys to set; null or "" removes a key. */
  links?: Record<string, string | null>;
}

/** The social links a profile may carry. */
export const LINK_KEYS = ["github", "gitlab", "linkedin", "leetcode", "codeforces", "codechef", "hackerrank", "twitter", "website"] as const;
export const MAX_BIO_LENGTH = 500;
const MAX_URL_LENGTH = 2048;
const HANDLE = /^@?[A-Za-z0-9_.-]{1,100}$/;

/** An absolute http(s) URL without credentials, or null. */
function httpUrl(text: string): string | null {
  if (text.length > MAX_URL_LENGTH) return null;
  try {
    const url = new URL(text);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || !url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

type Row = { user: typeof users.$inferSelect; profile: typeof profiles.$inferSelect };


function publicOf({ user, profile }: Row): PublicProfile {
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

/** Reads and edits profiles in the shapes of API.md. */
export class ProfileService {
  // Profiles are read on every page of the app: build these queries once, not per request.
  // Prepared statements run on the one connection, so inside a caller's transaction too.
  readonly #byId;
  readonly #byUsername;
  readonly #providersOf;

  constructor(private readonly deps: { db: Db; clock: Clock }) {
    const { db } = deps;
    const joined = () => db.select({ user: users, profile: profiles }).from(users).innerJoin(profiles, eq(profiles.userId, users.id));
    this.#byId = joined().where(eq(users.id, sql.placeholder("id"))).prepare();
    this.#byUsername = joined().where(sql`lower(${users.username}) = ${sql.placeholder("username")}`).prepare();
    this.#providersOf = db
      .selectDistinct({ provider: identities.provider })
      .from(identities)
      .where(eq(identities.userId, sql.placeholder("id")))
      .orderBy(identities.provider)
      .prepare();
  }

  /** The public subset (no email, no providers) by user id. */
  publicProfile(userId: number): PublicProfile {
    const row = this.#byId.get({ id: userId });
    if (!row) throw new AppError("not_found", "user_not_found", "No such user");
    return publicOf(row);
  }

  /** The public profile of `username` (ignoring case); disabled accounts are not shown. */
  publicProfileByUsername(username: string): PublicProfile {
    const row = this.#byUsername.get({ username: username.toLowerCase() });
    if (!row || row.user.disabled) throw new AppError("not_found", "user_not_found", `No user "${username}"`);
    return publicOf(row);
  }

  /** Everything the owner may see of their own profile. */
  fullProfile(userId: number): FullProfile {
    const row = this.#byId.get({ id: userId });
    if (!row) throw new AppError("not_found", "user_not_found", "No such user");
    const providers = this.#providersOf.all({ id: userId }).map((item) => item.provider);
    return {
      ...publicOf(row),
      email: row.user.email,
      streak_freezes: row.profile.streakFreezes,
      timezone: row.profile.timezone,
      referral_code: row.profile.referralCode,
      providers,
    };
  }

  /**
   * Edits the owner's profile. Every field is checked before anything is written: http(s) URLs
   * only, a bio of at most 500 characters, an IANA time zone, known link keys with URLs or
   * handles. One problem anywhere and nothing changes (400 with every problem listed).
   */
  update(userId: number, input: ProfileUpdate): FullProfile {
    const problems: FieldError[] = [];
    const changes: Partial<typeof profiles.$inferInsert> = {};
    for (const field of ["avatar_url", "banner_url"] as const) {
      const value = input[field];
      if (value === undefined) continue;
      const url = value === null || value === "" ? null : httpUrl(value);
      if (value !== null && value !== "" && url === null) problems.push({ path: `/${field}`, message: "must be an http(s) URL" });
      changes[field === "avatar_url" ? "avatarUrl" : "bannerUrl"] = url;
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
    let linkChanges: Record<string, string | null> | undefined;
    if (input.links !== undefined) {
      linkChanges = {};
      for (const [key, raw] of Object.entries(input.links)) {
        if (!(LINK_KEYS as readonly string[]).includes(key)) {
          problems.push({ path: `/links/${key}`, message: `unknown link; known: ${LINK_KEYS.join(", ")}` });
          continue;
        }
        const text = raw?.trim() ?? "";
        if (text === "") {
          linkChanges[key] = null;
          continue;
        }
        const url = httpUrl(text);
        if (url) linkChanges[key] = url;
        else if (key !== "website" && HANDLE.test(text)) linkChanges[key] = text.replace(/^@/, "");
        else problems.push({ path: `/links/${key}`, message: key === "website" ? "must be an http(s) URL" : "must be an http(s) URL or a handle" });
      }
    }
    if (problems.length > 0) throw new AppError("validation", "validation_failed", "The profile update is invalid", { errors: problems });

    return writeTransaction(this.deps.db, (tx) => {
      if (linkChanges) {
        const current = tx.select({ links: profiles.links }).from(profiles).where(eq(profiles.userId, userId)).get();
        if (!current) throw new AppError("not_found", "user_not_found", "No such user");
        const links: Record<string, string> = { ...current.links };
        for (const [key, value] of Object.entries(linkChanges)) {
          if (value === null) delete links[key];
          else links[key] = value;
        }
        changes.links = links;
      }
      tx.update(profiles)
        .set({ ...changes, updatedAt: this.deps.clock.now() })
        .where(eq(profiles.userId, userId))
        .run();
      return this.fullProfile(userId);
    });
  }
}
