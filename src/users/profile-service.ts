import type { Database, Statement } from "bun:sqlite";
import { eq } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { type Db, writeTransaction } from "../db/client.ts";
import { profiles } from "../db/schema.ts";
import { AppError, type FieldError } from "../errors.ts";
import type { Streak } from "../rewards/rules.ts";
import { canonicalTimeZone } from "../time-zone.ts";
import { HANDLE, httpUrl, LINK_KEYS, MAX_BIO_LENGTH } from "./rules.ts";

/** A user and their profile, as the product knows them (the routes show subsets of it). */
export interface ProfileRecord {
  id: number;
  username: string;
  email: string | null;
  role: "user" | "admin";
  disabled: boolean;
  createdAt: Date;
  avatarUrl: string | null;
  bannerUrl: string | null;
  bio: string;
  timezone: string;
  links: Record<string, string>;
  xp: number;
  streak: Streak;
  referralCode: string;
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
}

/** One row of the profile read: users and profiles joined, links still JSON text. */
interface Row {
  id: number;
  username: string;
  email: string | null;
  role: "user" | "admin";
  disabled: number;
  created_at: number;
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
  providers: string | null;
}

const PROFILE_SELECT = `
  SELECT u.id, u.username, u.email, u.role, u.disabled, u.created_at,
         p.avatar_url, p.banner_url, p.bio, p.timezone, p.links, p.xp, p.current_streak,
         p.longest_streak, p.streak_freezes, p.last_check_in, p.referral_code,
         (SELECT group_concat(provider) FROM (SELECT DISTINCT provider FROM identities WHERE user_id = u.id ORDER BY provider)) AS providers
  FROM users u JOIN profiles p ON p.user_id = u.id`;

function recordOf(row: Row): ProfileRecord {
  return {
    id: row.id,
    username: row.username,
    email: row.email,
    role: row.role,
    disabled: row.disabled !== 0,
    createdAt: new Date(row.created_at),
    avatarUrl: row.avatar_url,
    bannerUrl: row.banner_url,
    bio: row.bio,
    timezone: row.timezone,
    links: JSON.parse(row.links) as Record<string, string>,
    xp: row.xp,
    streak: { current: row.current_streak, longest: row.longest_streak, freezes: row.streak_freezes, lastCheckIn: row.last_check_in },
    referralCode: row.referral_code,
    providers: row.providers ? row.providers.split(",") : [],
  };
}

const noSuchUser = () => new AppError("not_found", "user_not_found", "No such user");

/** Reads and edits profiles. */
export class ProfileService {
  // Profiles are read on every page of the app: one prepared statement each, rows mapped by
  // hand (drizzle's mapping of this join cost more than the query). They run on the one
  // connection, so inside a caller's transaction too.
  readonly #byId: Statement<Row, [number]>;
  readonly #byUsername: Statement<Row, [string]>;

  constructor(private readonly deps: { db: Db; sqlite: Database; clock: Clock }) {
    this.#byId = deps.sqlite.prepare<Row, [number]>(`${PROFILE_SELECT} WHERE u.id = ?`);
    this.#byUsername = deps.sqlite.prepare<Row, [string]>(`${PROFILE_SELECT} WHERE lower(u.username) = ?`);
  }

  /** A user's profile by id (disabled or not: the owner and admins see it); `user_not_found` otherwise. */
  byId(userId: number): ProfileRecord {
    const row = this.#byId.get(userId);
    if (!row) throw noSuchUser();
    return recordOf(row);
  }

  /** The profile of `username` (ignoring case) as others may see it: disabled accounts are not shown. */
  visibleByUsername(username: string): ProfileRecord {
    const row = this.#byUsername.get(username.toLowerCase());
    if (!row || row.disabled) throw new AppError("not_found", "user_not_found", `No user "${username}"`);
    return recordOf(row);
  }

  /**
   * Edits the owner's profile. Every field is checked before anything is written: http(s) URLs
   * only, a bio of at most 500 characters, an IANA time zone, known link keys with URLs or
   * handles. One problem anywhere and nothing changes (`validation_failed` with every problem).
   */
  update(userId: number, input: ProfileChanges): ProfileRecord {
    const problems: FieldError[] = [];
    const changes: Partial<typeof profiles.$inferInsert> = {};
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
        if (!current) throw noSuchUser();
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
      return this.byId(userId);
    });
  }
}
