import type { Clock } from "../clock.ts";

export interface ThrottleRule {
  /** Failures allowed within the window before further attempts are refused. */
  limit: number;
  windowMs: number;
}

interface Window {
  startedAt: number;
  failures: number;
}

/**
 * Counts failures per key in fixed windows (one window starts at a key's first failure). While a
 * key is over its limit, `retryAfterMs` says how long until it may try again. Memory stays bounded:
 * expired windows are swept as new keys arrive.
 */
export class FailureThrottle {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly clock: Clock,
    private readonly rule: ThrottleRule,
    private readonly maxKeys = 100_000,
  ) {}

  /** Milliseconds until `key` may try again, or 0 when it may try now. */
  retryAfterMs(key: string): number {
    const window = this.#live(key);
    if (!window || window.failures < this.rule.limit) return 0;
    return window.startedAt + this.rule.windowMs - this.clock.now().getTime();
  }

  recordFailure(key: string): void {
    const window = this.#live(key);
    if (window) {
      window.failures += 1;
      return;
    }
    if (this.#windows.size >= this.maxKeys) this.#sweep();
    this.#windows.set(key, { startedAt: this.clock.now().getTime(), failures: 1 });
  }

  reset(key: string): void {
    this.#windows.delete(key);
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
    const now = this.clock.now().getTime();
    for (const [key, window] of this.#windows) {
      if (window.startedAt + this.rule.windowMs <= now) this.#windows.delete(key);
    }
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
