import type { Clock } from "../clock.ts";
import type { Writer } from "../db/writer.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileRecord, ProfileService } from "../users/profile-service.ts";
import type { NewUser, User, UserService } from "../users/user-service.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type PasswordHasher } from "./password.ts";
import { type Admission, LoginGate, type LoginThrottles } from "./login-gate.ts";
import type { ThrottleStore } from "../throttle/store.ts";
import { AttemptLimiter, type RateRule } from "./throttle.ts";
import { accountDisabled, type IssuedTokens, type TokenService, type TokenUser } from "./token-service.ts";

/** Who is calling, as every guarded route and the WebSocket upgrade see it. */
export type Caller = TokenUser;

/** A signed-in user and the tokens of their new session. */
export interface Session {
  user: ProfileRecord;
  tokens: IssuedTokens;
}

/** A password account to create. */
export interface NewAccount {
  username: string;
  email: string | null;
  password: string;
  role?: "user" | "admin";
}

const badCredentials = () => new AppError("unauthorized", "invalid_credentials", "Wrong login or password");

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new AppError("validation", "validation_failed", "The password is invalid", {
      errors: [{ path: "/password", message: `must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters` }],
    });
  }
}

/** Registration, password login, token refresh and logout, and resolving a bearer token. */
export class AuthService {
  readonly #logins: LoginGate;
  readonly #registrations: AttemptLimiter;

  constructor(
    private readonly deps: {
      writer: Writer;
      clock: Clock;
      log: Logger;
      users: UserService;
      profiles: ProfileService;
      tokens: TokenService;
      passwords: PasswordHasher;
      throttles?: LoginThrottles;
      /** Where the login and registration throttles count (this process, or Redis). */
      throttleStore: ThrottleStore;
      registrationsPerAddress: RateRule;
    },
  ) {
    this.#logins = new LoginGate(deps.throttleStore, deps.throttles);
    this.#registrations = new AttemptLimiter(deps.throttleStore, "registrations", deps.registrationsPerAddress);
  }

  /**
   * Creates a password account (with its profile) and signs it in. A bad password, a malformed or
   * taken name or address is refused first (not counted); then the attempt counts against the
   * client address's registrations (`too_many_registrations` past COC_REGISTRATIONS_PER_ADDRESS),
   * before the password is hashed. The account and its first session are one unit of work.
   */
  async register(input: NewAccount, address: string): Promise<Session> {
    await this.#check(input);
    const wait = await this.#registrations.take(address);
    if (wait > 0) {
      throw new AppError("rate_limited", "too_many_registrations", "Too many accounts were created from your address; try again later", {
        retryAfterSeconds: wait / 1000,
      });
    }
    const account = await this.#hashed(input);
    const { user, tokens } = await this.deps.writer.run(async (tx) => {
      const user = await this.deps.users.createIn(tx, { ...account, lastSignInProvider: "local" });
      return { user, tokens: await this.deps.tokens.issueIn(tx, user) };
    });
    this.deps.log.info("user registered", { user_id: user.id, method: "password" });
    return { user: await this.deps.profiles.byId(user.id), tokens };
  }

  /**
   * Creates a password account without signing it in: `coc create-admin`. The same rules as
   * registration (password length, name and address free), no throttle.
   */
  async createAccount(input: NewAccount): Promise<User> {
    await this.#check(input);
    return this.deps.users.create(await this.#hashed(input));
  }

  async #check(input: NewAccount): Promise<void> {
    checkPassword(input.password);
    await this.deps.users.checkAvailable(input);
  }

  async #hashed(input: NewAccount): Promise<NewUser> {
    return { username: input.username, email: input.email, role: input.role, passwordHash: await this.deps.passwords.hash(input.password) };
  }

  /**
   * Password login by username or email. An unknown login and a wrong password are the same
   * `invalid_credentials` after the same work (a dummy hash is checked). Every attempt is admitted
   * by the login gate before any hashing (`too_many_attempts`): the attacker's address is locked,
   * not the account (see LoginGate).
   */
  async login(input: { login: string; password: string }, address: string): Promise<Session> {
    const loginKey = input.login.trim().toLowerCase();
    const user = await this.deps.users.findByLogin(loginKey);
    // One key per account, whichever of its names was typed; unknown logins keyed by their text.
    const admission: Admission = await this.#logins.admit(user ? `account:${user.id}` : `login:${loginKey}`, address);
    // No account, no password on it (OAuth only), or an absurdly long guess: the same dummy work.
    const hash = input.password.length <= MAX_PASSWORD_LENGTH ? user?.passwordHash : null;
    const ok = hash ? await this.deps.passwords.verify(input.password, hash) : await this.deps.passwords.verifyDummy(input.password.slice(0, MAX_PASSWORD_LENGTH));
    if (!ok || !user) {
      this.deps.log.info("login failed", { ip: address });
      throw badCredentials();
    }
    await admission.succeeded();
    if (user.disabled) throw accountDisabled();
    // A password brought over from the original service is replaced by argon2id at its first use.
    const rehashed = hash && this.deps.passwords.needsRehash(hash) ? await this.deps.passwords.hash(input.password) : null;
    const tokens = await this.deps.writer.run(async (tx) => {
      if (rehashed) await this.deps.users.replacePasswordHashIn(tx, user.id, hash!, rehashed);
      await this.deps.users.markSignIn(tx, user.id, "local");
      return this.deps.tokens.issueIn(tx, user);
    });
    this.deps.log.info("user logged in", { user_id: user.id, method: "password" });
    return { user: await this.deps.profiles.byId(user.id), tokens };
  }

  /** Rotates a refresh token (see TokenService.refresh); answers the new tokens and their user. */
  async refresh(refreshToken: string): Promise<Session> {
    const { userId, ...tokens } = await this.deps.tokens.refresh(refreshToken);
    return { user: await this.deps.profiles.byId(userId), tokens };
  }

  /**
   * Signs out: the refresh token's session when one is given, else the session the access token
   * names (the original web client sends only its bearer token). Neither: `not_authenticated`.
   */
  async logout(input: { refreshToken?: string; accessToken?: string | null }): Promise<void> {
    if (input.refreshToken) await this.deps.tokens.revoke(input.refreshToken);
    else if (input.accessToken) await this.deps.tokens.revokeSessionOf(input.accessToken);
    else throw new AppError("unauthorized", "not_authenticated", "Send the refresh token, or the access token of the session to end");
  }

  /**
   * Resolves a bearer token to its caller, reading the user's current state: a token of a
   * disabled user stops working on its next use, and a changed role applies at once.
   */
  async authenticate(accessToken: string | null): Promise<Caller> {
    if (!accessToken) throw new AppError("unauthorized", "not_authenticated", "Sign in first: send an access token");
    return this.deps.tokens.userOf(this.deps.tokens.verifyAccess(accessToken));
  }
}
