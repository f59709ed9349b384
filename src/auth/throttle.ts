import type { RateRule, ThrottleStore } from "../throttle/store.ts";

export type { RateRule } from "../throttle/store.ts";

/** Password sign-ups per client address unless COC_REGISTRATIONS_PER_ADDRESS says otherwise. */
export const DEFAULT_REGISTRATIONS_PER_ADDRESS: RateRule = { limit: 10, windowMs: 3_600_000 };
/** OAuth sign-ins started per client address unless COC_OAUTH_STARTS_PER_ADDRESS says otherwise. */
export const DEFAULT_OAUTH_STARTS_PER_ADDRESS: RateRule = { limit: 60, windowMs: 600_000 };

/**
 * Counts attempts per key in fixed windows (a window starts at a key's first attempt), in the
 * context's throttle store (this process, or Redis shared by every instance). `take` counts an
 * attempt *before* the work it guards, so any number of concurrent attempts never get past the limit.
 */
export class AttemptLimiter {
  constructor(
    private readonly store: ThrottleStore,
    /** Keeps this limiter's keys apart from others' in the store. */
    private readonly name: string,
    readonly rule: RateRule,
  ) {}

  /** Counts one attempt for `key` and answers 0; or, at the limit, counts nothing and answers the milliseconds to wait. */
  take(key: string): Promise<number> {
    return this.store.take([{ key: `${this.name}:${key}`, rule: this.rule, limits: true }]);
  }
}
