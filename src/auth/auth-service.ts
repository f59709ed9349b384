import type { Clock } from "../clock.ts";
import { type Db, writeTransaction } from "../db/client.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileService, PublicProfile } from "../users/profile-service.ts";
import type { UserService } from "../users/user-service.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, type PasswordHasher } from "./password.ts";
import { FailureThrottle, type ThrottleRule } from "./throttle.ts";
import type { TokenPair, TokenService } from "./token-service.ts";

/** Who is calling, as every guarded route and the WebSocket upgrade see it. */
export interface Caller {
  id: number;
  username: string;
  role: "user" | "admin";
}

export interface SessionAnswer extends TokenPair {
  user: PublicProfile;
}

export interface LoginThrottles {
  /** Failed logins for one login name (username or email) from one address. */
  perLogin: ThrottleRule;
  /**
   * Failed logins for one login name from all addresses together: looser, so that one attacker
   * cannot lock the owner out from elsewhere, yet guessing spread over many addresses still stops.
   */
  perLoginTotal: ThrottleRule;
  /** Failed logins per client address; generous, since many people can share one address. */
  perIp: ThrottleRule;
}

export const DEFAULT_LOGIN_THROTTLES: LoginThrottles = {
  perLogin: { limit: 10, windowMs: 15 * 60_000 },
  perLoginTotal: { limit: 50, windowMs: 15 * 60_000 },
  perIp: { limit: 100, windowMs: 15 * 60_000 },
};

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
  readonly #perLogin: FailureThrottle;
  readonly #perLoginTotal: FailureThrottle;
  readonly #perIp: FailureThrottle;

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
    },
  ) {
    const throttles = deps.throttles ?? DEFAULT_LOGIN_THROTTLES;
    this.#perLogin = new FailureThrottle(deps.clock, throttles.perLogin);
    this.#perLoginTotal = new FailureThrottle(deps.clock, throttles.perLoginTotal);
    this.#perIp = new FailureThrottle(deps.clock, throttles.perIp);
  }

  /** Creates a password account (with its profile) and signs it in. */
  async register(input: { username: string; email: string; password: string }): Promise<SessionAnswer> {
    checkPassword(input.password);
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
   * after the same work (a dummy hash is checked). Repeated failures — for a login from one
   * address, for a login from everywhere, from one address — are refused with 429 and
   * Retry-After, before any password is checked.
   */
  async login(input: { login: string; password: string }, ip: string): Promise<SessionAnswer> {
    const loginKey = input.login.trim().toLowerCase();
    const fromHere = `${loginKey}\n${ip}`;
    const wait = Math.max(this.#perLogin.retryAfterMs(fromHere), this.#perLoginTotal.retryAfterMs(loginKey), this.#perIp.retryAfterMs(ip));
    if (wait > 0) {
      throw new AppError("rate_limited", "too_many_attempts", "Too many failed logins; try again later", {
        retryAfterSeconds: wait / 1000,
      });
    }
    // No account, no password on it (OAuth only), or an absurdly long guess: the same dummy work.
    const user = this.deps.users.findByLogin(loginKey);
    const hash = input.password.length <= MAX_PASSWORD_LENGTH ? user?.passwordHash : null;
    const ok = hash ? await this.deps.passwords.verify(input.password, hash) : await this.deps.passwords.verifyDummy(input.password.slice(0, MAX_PASSWORD_LENGTH));
    if (!ok || !user) {
      this.#perLogin.recordFailure(fromHere);
      this.#perLoginTotal.recordFailure(loginKey);
      this.#perIp.recordFailure(ip);
      this.deps.log.info("login failed", { ip });
      throw badCredentials();
    }
    if (user.disabled) throw new AppError("forbidden", "account_disabled", "This account is disabled");
    this.#perLogin.reset(fromHere);
    const pair = this.deps.tokens.issue(user);
    this.deps.log.info("user logged in", { user_id: user.id, method: "password" });
    return { user: this.deps.profiles.publicProfile(user.id), ...pair };
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
