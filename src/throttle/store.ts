import type { Clock } from "../clock.ts";

/** So many attempts per window, e.g. `10/1h`: past the limit, further attempts wait for the window to end. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/** A token bucket: a burst, then a sustained rate. */
export interface BucketRule {
  /** Tokens a full bucket holds: messages that may be sent in a burst. */
  burst: number;
  /** Tokens added per second: the sustained rate. */
  perSecond: number;
}

/** One counter an attempt is counted on: a key and the rule of its windows. */
export interface Counted {
  key: string;
  rule: RateRule;
  /** Whether this counter at its limit refuses the attempt (false: it only counts). */
  limits: boolean;
}

/**
 * What an attempt needs once one of its counters (`counter`, an index into the counters) is at
 * its limit: a slot on `slot`, one per `intervalMs` (slowed down, not closed).
 */
export interface Overflow {
  counter: number;
  slot: string;
  intervalMs: number;
}

/**
 * Where throttles keep their counts: in this process (one instance), or in Redis (shared by every
 * instance: an attacker gains nothing by spreading attempts across them). Windows are fixed and
 * start at a key's first attempt; all times come from the injected clock. Every operation is
 * atomic on its store, so concurrent attempts — in this process or on other instances — never
 * get past a limit.
 */
export interface ThrottleStore {
  /**
   * Counts one attempt on every counter and answers 0; or, when a limiting counter is at its
   * limit, counts nothing and answers the milliseconds to wait (the longest).
   */
  take(counters: readonly Counted[], overflow?: Overflow): Promise<number>;
  /** Attempts counted on `key` in its current window. */
  count(key: string, rule: RateRule): Promise<number>;
  /** Milliseconds until `key` may try again (0: now). */
  retryAfter(key: string, rule: RateRule): Promise<number>;
  /** Un-counts one attempt of `key` (it turned out well). */
  giveBack(key: string, rule: RateRule): Promise<void>;
  reset(key: string): Promise<void>;
  /** Admits one attempt per `intervalMs` on `key`: 0 and the next slot booked, or the milliseconds until the next slot. */
  claimSlot(key: string, intervalMs: number): Promise<number>;
  /** Takes a token from `key`'s bucket: 0, or the seconds until one will be there. */
  takeToken(key: string, rule: BucketRule): Promise<number>;
  /** Forgets what has expired (the periodic sweep; Redis expires keys itself). */
  prune(): void;
}

interface Window {
  startedAt: number;
  attempts: number;
  windowMs: number;
}

/**
 * The counts of one process. Memory stays bounded: expired entries are swept as new keys arrive
 * past `maxKeys`, and by `prune`; under an attack from more live keys than that, the oldest half
 * is forgotten.
 */
export class MemoryThrottleStore implements ThrottleStore {
  readonly #windows = new Map<string, Window>();
  readonly #slots = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; at: number; rule: BucketRule }>();

  constructor(
    private readonly clock: Clock,
    private readonly maxKeys = 100_000,
  ) {}

  async take(counters: readonly Counted[], overflow?: Overflow): Promise<number> {
    const now = this.clock.now().getTime();
    let wait = 0;
    for (const { key, rule, limits } of counters) {
      const window = this.#live(key, now);
      if (limits && window && window.attempts >= rule.limit) wait = Math.max(wait, window.startedAt + rule.windowMs - now);
    }
    if (wait > 0) return wait;
    const gate = overflow && counters[overflow.counter];
    if (overflow && gate && (this.#live(gate.key, now)?.attempts ?? 0) >= gate.rule.limit) {
      const opens = this.#slots.get(overflow.slot) ?? 0;
      if (opens > now) return opens - now;
      this.#slots.set(overflow.slot, now + overflow.intervalMs);
    }
    for (const { key, rule } of counters) {
      const window = this.#live(key, now);
      if (window) window.attempts += 1;
      else {
        if (this.#windows.size >= this.maxKeys) this.#sweep(now);
        this.#windows.set(key, { startedAt: now, attempts: 1, windowMs: rule.windowMs });
      }
    }
    return 0;
  }

  async count(key: string): Promise<number> {
    return this.#live(key, this.clock.now().getTime())?.attempts ?? 0;
  }

  async retryAfter(key: string, rule: RateRule): Promise<number> {
    const now = this.clock.now().getTime();
    const window = this.#live(key, now);
    return window && window.attempts >= rule.limit ? window.startedAt + rule.windowMs - now : 0;
  }

  async giveBack(key: string): Promise<void> {
    const window = this.#live(key, this.clock.now().getTime());
    if (!window) return;
    window.attempts -= 1;
    if (window.attempts <= 0) this.#windows.delete(key);
  }

  async reset(key: string): Promise<void> {
    this.#windows.delete(key);
  }

  async claimSlot(key: string, intervalMs: number): Promise<number> {
    const now = this.clock.now().getTime();
    const opens = this.#slots.get(key) ?? 0;
    if (opens > now) return opens - now;
    this.#slots.set(key, now + intervalMs);
    return 0;
  }

  async takeToken(key: string, rule: BucketRule): Promise<number> {
    const now = this.clock.now().getTime();
    const bucket = this.#buckets.get(key) ?? { tokens: rule.burst, at: now, rule };
    bucket.tokens = Math.min(rule.burst, bucket.tokens + ((now - bucket.at) / 1000) * rule.perSecond);
    bucket.at = now;
    this.#buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / rule.perSecond;
  }

  prune(): void {
    this.#sweep(this.clock.now().getTime(), false);
  }

  /** Entries held (windows, slots, buckets): for tests of the bound. */
  get size(): number {
    return this.#windows.size + this.#slots.size + this.#buckets.size;
  }

  #live(key: string, now: number): Window | undefined {
    const window = this.#windows.get(key);
    if (window && window.startedAt + window.windowMs <= now) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }

  #sweep(now: number, bounded = true): void {
    for (const [key, window] of this.#windows) if (window.startedAt + window.windowMs <= now) this.#windows.delete(key);
    for (const [key, opens] of this.#slots) if (opens <= now) this.#slots.delete(key);
    // A full bucket is the same as no bucket.
    for (const [key, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.at) / 1000) * bucket.rule.perSecond >= bucket.rule.burst) this.#buckets.delete(key);
    }
    // Still full of live windows (an attack from many keys): forget the oldest half.
    if (bounded && this.#windows.size >= this.maxKeys) {
      let drop = Math.floor(this.#windows.size / 2);
      for (const key of this.#windows.keys()) {
        if (drop-- <= 0) break;
        this.#windows.delete(key);
      }
    }
  }
}
