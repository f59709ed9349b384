import { and, asc, desc, eq, isNull, or, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first, type Store, type Tx } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import { identities, profiles, refreshTokens, users } from "../db/schema.ts";
import { AppError, type FieldError } from "../errors.ts";
import { emailProblem, usernameBase, usernameProblem } from "./rules.ts";

export type UserSort = "xp" | "streak" | "created" | "username";
export const USER_SORTS: readonly UserSort[] = ["xp", "streak", "created", "username"];

export type User = typeof users.$inferSelect;
export type ProfileRow = typeof profiles.$inferSelect;

/** A row of the admin's user list. */
export interface UserListing {
  user: User;
  profile: ProfileRow;
}
export type ProviderName = (typeof identities.$inferInsert)["provider"];

export interface NewIdentity {
  provider: ProviderName;
  providerUserId: string;
  email: string | null;
  emailVerified: boolean;
}

export interface NewUser {
  username: string;
  email?: string | null;
  emailVerified?: boolean;
  passwordHash?: string | null;
  role?: "user" | "admin";
  avatarUrl?: string | null;
  identity?: NewIdentity;
  /** How the user signed in on creation ("local" or a provider); null when an admin made the account. */
  lastSignInProvider?: string | null;
}

/** Crockford base32 without I, L, O, U: nothing to misread when a code is typed from a screen. */
const REFERRAL_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const REFERRAL_LENGTH = 8;

export function generateReferralCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(REFERRAL_LENGTH));
  let code = "";
  for (const byte of bytes) code += REFERRAL_ALPHABET[byte % REFERRAL_ALPHABET.length];
  return code;
}

/**
 * The one way users come to exist (registration, OAuth, the CLI) and are found.
 */
export class UserService {
  constructor(private readonly deps: { reader: Store; writer: Writer; clock: Clock }) {}

  /**
   * Checks a new account's username and email as `create` will: malformed (`validation_failed`),
   * taken ignoring case (`username_taken` / `email_taken`). Answers them trimmed. Writes nothing, so a
   * caller can refuse before doing expensive work (hashing a password).
   */
  async checkAvailable(input: { username: string; email?: string | null }, tx: Store = this.deps.reader): Promise<{ username: string; email: string | null }> {
    const problems: FieldError[] = [];
    const username = input.username.trim();
    const email = input.email?.trim() || null;
    const usernameIssue = usernameProblem(username);
    if (usernameIssue) problems.push(usernameIssue);
    const emailIssue = email === null ? null : emailProblem(email);
    if (emailIssue) problems.push(emailIssue);
    if (problems.length > 0) throw new AppError("validation", "validation_failed", "The user is invalid", { errors: problems });
    if (await this.#usernameTaken(tx, username)) {
      throw new AppError("conflict", "username_taken", `The username "${username}" is taken`);
    }
    if (email !== null && (await this.#emailTaken(tx, email))) {
      throw new AppError("conflict", "email_taken", "An account with this email already exists");
    }
    return { username, email };
  }

  /**
   * Creates a user, its profile and (for OAuth) its identity as one unit (see `createIn`).
   */
  create(input: NewUser): Promise<User> {
    return this.deps.writer.run((tx) => this.createIn(tx, input));
  }

  /**
   * Creates a user, its profile and (for OAuth) its identity inside the caller's unit, so no user
   * ever exists without a profile. Usernames and emails are unique ignoring case
   * (`username_taken`, `email_taken`).
   */
  async createIn(t: Tx, input: NewUser): Promise<User> {
    const { username, email } = await this.checkAvailable(input, t);
    const now = this.deps.clock.now();
    const [user] = await t.db
      .insert(users)
      .values({
        username,
        email,
        emailVerified: email !== null && input.emailVerified === true,
        passwordHash: input.passwordHash ?? null,
        role: input.role ?? "user",
        lastSignInProvider: input.lastSignInProvider ?? null,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    await t.db.insert(profiles).values({ userId: user!.id, avatarUrl: input.avatarUrl ?? null, referralCode: await this.#freshReferralCode(t), updatedAt: now });
    if (input.identity) await this.linkIdentity(t, user!.id, input.identity);
    return user!;
  }

  /** Notes how a user signed in last ("local" or a provider): the original web client shows it. */
  async markSignIn(tx: Tx, userId: number, provider: string): Promise<void> {
    await tx.db.update(users).set({ lastSignInProvider: provider }).where(eq(users.id, userId));
  }

  /** Replaces a password hash by another of the same password, unless it was changed meanwhile. */
  async replacePasswordHashIn(tx: Tx, userId: number, was: string, hash: string): Promise<void> {
    await tx.db
      .update(users)
      .set({ passwordHash: hash, updatedAt: this.deps.clock.now() })
      .where(and(eq(users.id, userId), eq(users.passwordHash, was)));
  }

  /** Ties an OAuth identity to a user (inside the caller's transaction). */
  async linkIdentity(tx: Tx, userId: number, identity: NewIdentity): Promise<void> {
    const now = this.deps.clock.now();
    await tx.db.insert(identities).values({ userId, ...identity, createdAt: now, lastLoginAt: now });
  }

  async findById(id: number, tx: Store = this.deps.reader): Promise<User | undefined> {
    return first(await tx.db.select().from(users).where(eq(users.id, id)));
  }

  /** By username, ignoring case. */
  async findByUsername(username: string, tx: Store = this.deps.reader): Promise<User | undefined> {
    return first(await tx.db.select().from(users).where(sql`lower(${users.username}) = ${username.trim().toLowerCase()}`));
  }

  /** By username or, when `login` holds an @, by email; both ignoring case. */
  findByLogin(login: string, tx: Store = this.deps.reader): Promise<User | undefined> {
    return login.includes("@") ? this.findByEmail(login, tx) : this.findByUsername(login, tx);
  }

  /** The user called `username` (ignoring case), or `user_not_found`. */
  async requireByUsername(username: string): Promise<User> {
    const user = await this.findByUsername(username);
    if (!user) throw new AppError("not_found", "user_not_found", `No user "${username}"`);
    return user;
  }

  /**
   * Users for the admin: sorted by XP, streak, creation or name (ties by id), optionally filtered
   * by a text found in the username or email.
   */
  list(options: { sort?: UserSort; limit?: number; search?: string } = {}): Promise<UserListing[]> {
    const order = {
      xp: [desc(profiles.xp), asc(profiles.userId)],
      streak: [desc(profiles.currentStreak), desc(profiles.longestStreak), asc(users.id)],
      created: [desc(users.createdAt), desc(users.id)],
      username: [asc(sql`lower(${users.username})`), asc(users.id)],
    }[options.sort ?? "created"];
    const search = options.search?.trim();
    const pattern = search ? `%${search.toLowerCase().replace(/[%_\\]/g, (c) => `\\${c}`)}%` : null;
    this.deps.reader.enter();
    return this.deps.reader.db
      .select({ user: users, profile: profiles })
      .from(users)
      .innerJoin(profiles, eq(profiles.userId, users.id))
      .where(
        and(
          isNull(users.deletedAt),
          pattern ? or(sql`lower(${users.username}) LIKE ${pattern} ESCAPE '\\'`, sql`lower(${users.email}) LIKE ${pattern} ESCAPE '\\'`) : undefined,
        ),
      )
      .orderBy(...order)
      .limit(Math.max(1, Math.min(options.limit ?? 50, 100_000)));
  }

  /** Makes a user an admin or a plain user; their next request sees the new role. */
  async setRole(userId: number, role: "user" | "admin"): Promise<void> {
    await this.deps.writer.run(async (tx) => {
      await tx.db.update(users).set({ role, updatedAt: this.deps.clock.now() }).where(eq(users.id, userId));
    });
  }

  /**
   * Disables (or enables) an account. Disabling also revokes every refresh token in the same
   * transaction; access tokens are refused on their next use and chat sockets are closed.
   */
  async setDisabled(userId: number, disabled: boolean): Promise<void> {
    await this.deps.writer.run(async (tx) => {
      const now = this.deps.clock.now();
      await tx.db.update(users).set({ disabled, updatedAt: now }).where(eq(users.id, userId));
      if (disabled) {
        await tx.db.update(refreshTokens).set({ revokedAt: now }).where(sql`${refreshTokens.userId} = ${userId} AND ${refreshTokens.revokedAt} IS NULL`);
      }
    });
  }

  async findByEmail(email: string, tx: Store = this.deps.reader): Promise<User | undefined> {
    return first(await tx.db.select().from(users).where(sql`lower(${users.email}) = ${email.trim().toLowerCase()}`));
  }

  /** A free username built from a provider login: "ada", then "ada-2", "ada-3" … */
  async freeUsername(tx: Tx, login: string): Promise<string> {
    const base = usernameBase(login);
    if (!(await this.#usernameTaken(tx, base))) return base;
    for (let n = 2; n < 10_000; n++) {
      const suffix = `-${n}`;
      const candidate = `${base.slice(0, 30 - suffix.length)}${suffix}`;
      if (!(await this.#usernameTaken(tx, candidate))) return candidate;
    }
    return `${base.slice(0, 21)}-${crypto.randomUUID().slice(0, 8)}`;
  }

  async #usernameTaken(tx: Store, username: string): Promise<boolean> {
    return (await this.findByUsername(username, tx)) !== undefined;
  }

  async #emailTaken(tx: Store, email: string): Promise<boolean> {
    return (await this.findByEmail(email, tx)) !== undefined;
  }

  async #freshReferralCode(tx: Tx): Promise<string> {
    for (;;) {
      const code = generateReferralCode();
      const clash = first(await tx.db.select({ userId: profiles.userId }).from(profiles).where(eq(profiles.referralCode, code)));
      if (!clash) return code;
    }
  }
}
