import type { Clock } from "../clock.ts";

/** So many attempts per window, e.g. `10/1h`: past the limit, further attempts wait for the window to end. */
export interface RateRule {
  limit: number;
  windowMs: number;
}

/** Password sign-ups per client address unless COC_REGISTRATIONS_PER_ADDRESS says otherwise. */
export const DEFAULT_REGISTRATIONS_PER_ADDRESS: RateRule = { limit: 10, windowMs: 3_600_000 };
/** OAuth sign-ins started per client address unless COC_OAUTH_STARTS_PER_ADDRESS says otherwise. */
export const DEFAULT_OAUTH_STARTS_PER_ADDRESS: RateRule = { limit: 60, windowMs: 600_000 };

interface Window {
  startedAt: number;
  attempts: number;
}

/**
 * Counts attempts per key in fixed windows (a window starts at a key's first attempt). `take`
 * counts an attempt *before* the work it guards, so any number of concurrent attempts never get
 * past the limit; an attempt that turned out well can be given back. Memory stays bounded:
 * expired windows are swept as new keys arrive, and by `prune`.
 */
export class AttemptLimiter {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    readonly rule: RateRule,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one attempt for `key` and answers 0; or, at the limit, counts nothing and answers the milliseconds to wait. */
  take(key: string): number {
    const wait = this.retryAfterMs(key);
    if (wait > 0) return wait;
    const window = this.#live(key);
    if (window) window.attempts += 1;
    else {
      if (this.#windows.size >= this.maxKeys) this.#sweep();
      this.#windows.set(key, { startedAt: this.clock.now().getTime(), attempts: 1 });
    }
    return 0;
  }

  /** Milliseconds until `key` may try again, or 0 when it may try now. */
  retryAfterMs(key: string): number {
    const window = this.#live(key);
    if (!window || window.attempts < this.rule.limit) return 0;
    return window.startedAt + this.rule.windowMs - this.clock.now().getTime();
  }

  /** Attempts counted for `key` in its current window. */
  count(key: string): number {
    return this.#live(key)?.attempts ?? 0;
  }

  /** Un-counts one attempt of `key` (it succeeded, so it was no failure). */
  giveBack(key: string): void {
    const window = this.#live(key);
    if (!window) return;
    window.attempts -= 1;
    if (window.attempts <= 0) this.#windows.delete(key);
  }

  reset(key: string): void {
    this.#windows.delete(key);
  }

  /** Forgets expired windows. */
  prune(): void {
    const now = this.clock.now().getTime();
    for (const [key, window] of this.#windows) {
      if (window.startedAt + this.rule.windowMs <= now) this.#windows.delete(key);
    }
  }

  get size(): number {
    return this.#windows.size;
  }

  #live(key: string): Window | undefined {
    const window = this.#windows.get(key);
    if (window && window.startedAt + this.rule.windowMs <= this.clock.now().getTime()) {
      this.#windows.delete(key);
      return undefined;
    }
    return window;
  }

  #sweep(): void {
    this.prune();
    // Still full of live windows (an attack from many keys): forget the oldest half.
    if (this.#windows.size >= this.maxKeys) {
      let drop = Math.floor(this.#windows.size / 2);
      for (const key of this.#windows.keys()) {
        if (drop-- <= 0) break;
        this.#windows.delete(key);
      }
    }
  }
}
