import type { Clock } from "../clock.ts";
import { AppError } from "../errors.ts";
import { AttemptLimiter, type RateRule } from "./throttle.ts";

export interface LoginThrottles {
  /** Failed logins for one account from one address: past it, *that address* waits. */
  perAccountAndAddress: RateRule;
  /** Failed logins from one address, over all accounts (generous: many people can share one address). */
  perAddress: RateRule;
  /**
   * Failed logins for one account from all addresses together. Past it the account is slowed
   * down, not closed: one attempt per `slowedIntervalMs` from addresses that have failed on it,
   * and one per interval from addresses that have not (where its owner usually is).
   */
  perAccount: RateRule;
  slowedIntervalMs: number;
}

export const DEFAULT_LOGIN_THROTTLES: LoginThrottles = {
  perAccountAndAddress: { limit: 10, windowMs: 15 * 60_000 },
  perAddress: { limit: 100, windowMs: 15 * 60_000 },
  perAccount: { limit: 50, windowMs: 15 * 60_000 },
  slowedIntervalMs: 5_000,
};

/** An admitted login attempt: counted as a failure unless it reports success. */
export interface Admission {
  succeeded(): void;
}

function tooMany(waitMs: number): AppError {
  return new AppError("rate_limited", "too_many_attempts", "Too many failed logins; try again later", { retryAfterSeconds: waitMs / 1000 });
}

/**
 * Decides whether a password login may be tried, *before* the password is hashed: every admitted
 * attempt is counted at once, so concurrent guesses cannot outrun the limits; a success gives its
 * count back. An attacker's address is locked, never the account: its owner, from an address that
 * has not failed, keeps a lane of its own even while the account is under attack from many
 * addresses. The key of an account is its id, so its username and its email are one key.
 */
export class LoginGate {
  readonly #pair: AttemptLimiter;
  readonly #address: AttemptLimiter;
  readonly #account: AttemptLimiter;
  /** While an account is slowed: when each of its two lanes next admits an attempt. */
  readonly #nextSlot = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly rules: LoginThrottles = DEFAULT_LOGIN_THROTTLES,
  ) {
    this.#pair = new AttemptLimiter(clock, rules.perAccountAndAddress);
    this.#address = new AttemptLimiter(clock, rules.perAddress);
    this.#account = new AttemptLimiter(clock, rules.perAccount);
  }

  /**
   * Admits one attempt on `account` (a stable key: `account:<id>`, or the login text when no
   * account has it) from `address`, or throws `too_many_attempts` with the time to wait.
   */
  admit(account: string, address: string): Admission {
    const pair = `${account}\n${address}`;
    const wait = Math.max(this.#pair.retryAfterMs(pair), this.#address.retryAfterMs(address));
    if (wait > 0) throw tooMany(wait);
    if (this.#account.retryAfterMs(account) > 0) {
      const lane = `${account}\n${this.#pair.count(pair) > 0 ? "failed-here" : "fresh"}`;
      const now = this.clock.now().getTime();
      const opens = this.#nextSlot.get(lane) ?? 0;
      if (opens > now) throw tooMany(opens - now);
      this.#nextSlot.set(lane, now + this.rules.slowedIntervalMs);
    }
    this.#pair.take(pair);
    this.#address.take(address);
    this.#account.take(account);
    return {
      succeeded: () => {
        this.#pair.reset(pair);
        this.#address.giveBack(address);
        this.#account.giveBack(account);
      },
    };
  }

  /** Forgets expired windows and slots (the periodic sweep). */
  prune(): void {
    this.#pair.prune();
    this.#address.prune();
    this.#account.prune();
    const now = this.clock.now().getTime();
    for (const [lane, opens] of this.#nextSlot) if (opens <= now) this.#nextSlot.delete(lane);
  }
}
