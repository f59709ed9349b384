import type { Clock } from "../clock.ts";

export interface BucketRule {
  /** Tokens a full bucket holds: messages that may be sent in a burst. */
  burst: number;
  /** Tokens added per second: the sustained rate. */
  perSecond: number;
}

/** Chat flood control per user unless COC_CHAT_BURST / COC_CHAT_PER_SECOND say otherwise. */
export const DEFAULT_CHAT_RATE: BucketRule = { burst: 5, perSecond: 1 };

/**
 * Token buckets per key, refilled from the clock (never from timers). `take` answers 0 when a
 * token was taken, or the seconds until one will be there.
 */
export class TokenBuckets {
  readonly #buckets = new Map<string | number, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly rule: BucketRule,
  ) {}

  take(key: string | number): number {
    const now = this.clock.now().getTime();
    const bucket = this.#buckets.get(key) ?? { tokens: this.rule.burst, at: now };
    bucket.tokens = Math.min(this.rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.rule.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.rule.perSecond;
  }

  /** Forgets buckets that have refilled: a full bucket is the same as no bucket. */
  prune(): void {
    const now = this.clock.now().getTime();
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * this.rule.perSecond >= this.rule.burst) this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}
