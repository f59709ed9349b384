import { describe, expect, test } from "bun:test";
import { FailureThrottle } from "../../src/auth/throttle.ts";
import { FakeClock } from "../support/fake-clock.ts";

describe("FailureThrottle", () => {
  test("blocks a key at its limit until its window has passed", () => {
    const clock = new FakeClock();
    const throttle = new FailureThrottle(clock, { limit: 3, windowMs: 60_000 });
    for (let i = 0; i < 2; i++) throttle.recordFailure("k");
    expect(throttle.retryAfterMs("k")).toBe(0);
    clock.advance(10_000);
    throttle.recordFailure("k");
    expect(throttle.retryAfterMs("k")).toBe(50_000);
    expect(throttle.retryAfterMs("other")).toBe(0);
    clock.advance(50_000);
    expect(throttle.retryAfterMs("k")).toBe(0);
    throttle.recordFailure("k");
    expect(throttle.retryAfterMs("k")).toBe(0);
  });

  test("reset forgets a key", () => {
    const throttle = new FailureThrottle(new FakeClock(), { limit: 1, windowMs: 60_000 });
    throttle.recordFailure("k");
    expect(throttle.retryAfterMs("k")).toBeGreaterThan(0);
    throttle.reset("k");
    expect(throttle.retryAfterMs("k")).toBe(0);
  });

  test("memory stays bounded under many keys, and live blocks survive a sweep of expired ones", () => {
    const clock = new FakeClock();
    const throttle = new FailureThrottle(clock, { limit: 1, windowMs: 60_000 }, 100);
    for (let i = 0; i < 50; i++) throttle.recordFailure(`old${i}`);
    clock.advance(61_000);
    throttle.recordFailure("live");
    for (let i = 0; i < 1000; i++) throttle.recordFailure(`new${i}`);
    expect(throttle.retryAfterMs("new999")).toBeGreaterThan(0);
    let tracked = 0;
    for (let i = 0; i < 1000; i++) if (throttle.retryAfterMs(`new${i}`) > 0) tracked++;
    expect(tracked).toBeLessThanOrEqual(100);
  });
});
