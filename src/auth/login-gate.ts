import { AppError } from "../errors.ts";
import type { RateRule, ThrottleStore } from "../throttle/store.ts";

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
  succeeded(): Promise<void>;
}

function tooMany(waitMs: number): AppError {
  return new AppError("rate_limited", "too_many_attempts", "Too many failed logins; try again later", { retryAfterSeconds: waitMs / 1000 });
}

/**
 * Decides whether a password login may be tried, *before* the password is hashed: every admitted
 * attempt is counted at once (atomically in the throttle store, across instances too), so
 * concurrent guesses cannot outrun the limits; a success gives its count back. An attacker's
 * address is locked, never the account: its owner, from an address that has not failed, keeps a
 * lane of its own even while the account is under attack from many addresses. The key of an
 * account is its id, so its username and its email are one key.
 */
export class LoginGate {
  constructor(
    private readonly store: ThrottleStore,
    private readonly rules: LoginThrottles = DEFAULT_LOGIN_THROTTLES,
  ) {}

  /**
   * Admits one attempt on `account` (a stable key: `account:<id>`, or the login text when no
   * account has it) from `address`, or throws `too_many_attempts` with the time to wait.
   */
  async admit(account: string, address: string): Promise<Admission> {
    const { store, rules } = this;
    const pair = `login-pair:${account}\n${address}`;
    const byAddress = `login-address:${address}`;
    const byAccount = `login-account:${account}`;
    const refused = Math.max(await store.retryAfter(pair, rules.perAccountAndAddress), await store.retryAfter(byAddress, rules.perAddress));
    if (refused > 0) throw tooMany(refused);
    // The lane: addresses that have failed on this account share one, the others another.
    const failedHere = (await store.count(pair, rules.perAccountAndAddress)) > 0;
    // In one atomic step: refused at a limit; past the account's limit, admitted only with a lane's slot; counted.
    const wait = await store.take(
      [
        { key: pair, rule: rules.perAccountAndAddress, limits: true },
        { key: byAddress, rule: rules.perAddress, limits: true },
        { key: byAccount, rule: rules.perAccount, limits: false },
      ],
      { counter: 2, slot: `login-lane:${account}\n${failedHere ? "failed-here" : "fresh"}`, intervalMs: rules.slowedIntervalMs },
    );
    if (wait > 0) throw tooMany(wait);
    return {
      succeeded: async () => {
        await Promise.all([store.reset(pair), store.giveBack(byAddress, rules.perAddress), store.giveBack(byAccount, rules.perAccount)]);
      },
    };
  }
}
