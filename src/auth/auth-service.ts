import type { Clock } from "../clock.ts";
import { type Db, writeTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileService, PublicProfile } from "../users/profile-service.ts";
import type { UserService } from "../users/user-service.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type PasswordHasher } from "./password.ts";
import type { RateRule } from "../config.ts";
import { type Admission, LoginGate, type LoginThrottles } from "./login-gate.ts";
import { AttemptLimiter } from "./throttle.ts";
import type { TokenPair, TokenService, TokenUser } from "./token-service.ts";

/** Who is calling, as every guarded route and the WebSocket upgrade see it. */
export type Caller = TokenUser;

export interface SessionAnswer extends TokenPair {
  user: PublicProfile;
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
      db: Db;
      clock: Clock;
      log: Logger;
      users: UserService;
      profiles: ProfileService;
      tokens: TokenService;
      passwords: PasswordHasher;
      throttles?: LoginThrottles;
      registrationsPerAddress: RateRule;
    },
  ) {
    this.#logins = new LoginGate(deps.clock, deps.throttles);
    this.#registrations = new AttemptLimiter(deps.clock, deps.registrationsPerAddress);
  }

  /**
   * Creates a password account (with its profile) and signs it in. A malformed or taken name or
   * address is refused first (400/409, not counted); then the attempt counts against the client
   * address's registrations (429 `too_many_registrations` past COC_REGISTRATIONS_PER_ADDRESS),
   * before the password is hashed.
   */
  async register(input: { username: string; email: string; password: string }, address: string): Promise<SessionAnswer> {
    checkPassword(input.password);
    this.deps.users.checkAvailable(input);
    const wait = this.#registrations.take(address);
    if (wait > 0) {
      throw new AppError("rate_limited", "too_many_registrations", "Too many accounts were created from your address; try again later", {
        retryAfterSeconds: wait / 1000,
      });
    }
    const passwordHash = await this.deps.passwords.hash(input.password);
    const { userId, pair } = writeTransaction(this.deps.db, (tx) => {
      const user = this.deps.users.create({ username: input.username, email: input.email, passwordHash }, tx);
      return { userId: user.id, pair: this.deps.tokens.issue(user, tx) };
    });
    this.deps.log.info("user registered", { user_id: userId, method: "password" });
    return { user: this.deps.profiles.publicProfile(userId), ...pair };
  }

  /**
   * Password login by username or email. An unknown login and a wrong password get the same 401
   * after the same work (a dummy hash is checked). Every attempt is admitted by the login gate
   * before any hashing (429 `too_many_attempts` with Retry-After): the attacker's address is
   * locked, not the account (see LoginGate).
   */
  async login(input: { login: string; password: string }, address: string): Promise<SessionAnswer> {
    const loginKey = input.login.trim().toLowerCase();
    const user = this.deps.users.findByLogin(loginKey);
    // One key per account, whichever of its names was typed; unknown logins keyed by their text.
    const admission: Admission = this.#logins.admit(user ? `account:${user.id}` : `login:${loginKey}`, address);
    // No account, no password on it (OAuth only), or an absurdly long guess: the same dummy work.
    const hash = input.password.length <= MAX_PASSWORD_LENGTH ? user?.passwordHash : null;
    const ok = hash ? await this.deps.passwords.verify(input.password, hash) : await this.deps.passwords.verifyDummy(input.password.slice(0, MAX_PASSWORD_LENGTH));
    if (!ok || !user) {
      this.deps.log.info("login failed", { ip: address });
      throw badCredentials();
    }
    admission.succeeded();
    if (user.disabled) throw new AppError("forbidden", "account_disabled", "This account is disabled");
    const pair = this.deps.tokens.issue(user);
    this.deps.log.info("user logged in", { user_id: user.id, method: "password" });
    return { user: this.deps.profiles.publicProfile(user.id), ...pair };
  }

  /** Forgets expired throttle windows (the server's periodic sweep). */
  pruneThrottles(): void {
    this.#logins.prune();
    this.#registrations.prune();
  }

  refresh(refreshToken: string): TokenPair {
    return this.deps.tokens.refresh(refreshToken);
  }

  logout(refreshToken: string): void {
    this.deps.tokens.revoke(refreshToken);
  }

  /**
   * Resolves a bearer token to its caller, reading the user's current state: a token of a
   * disabled user stops working on its next use, and a changed role applies at once.
   */
  authenticate(accessToken: string | null): Caller {
    if (!accessToken) throw new AppError("unauthorized", "not_authenticated", "Sign in first: send Authorization: Bearer <access_token>");
    return this.deps.tokens.userOf(this.deps.tokens.verifyAccess(accessToken));
  }
}

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}
