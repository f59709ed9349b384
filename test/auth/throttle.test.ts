import { describe, expect, test } from "bun:test";
import { LoginGate } from "../../src/auth/login-gate.ts";
import { AttemptLimiter } from "../../src/auth/throttle.ts";
import { AppError } from "../../src/errors.ts";
import { FakeClock } from "../support/fake-clock.ts";

describe("AttemptLimiter", () => {
  test("counts attempts up front and blocks a key at its limit until its window has passed", () => {
    const clock = new FakeClock();
    const limiter = new AttemptLimiter(clock, { limit: 3, windowMs: 60_000 });
    expect(limiter.take("k")).toBe(0);
    expect(limiter.take("k")).toBe(0);
    clock.advance(10_000);
    expect(limiter.take("k")).toBe(0);
    expect(limiter.take("k")).toBe(50_000);
    expect(limiter.count("k")).toBe(3);
    expect(limiter.take("other")).toBe(0);
    clock.advance(50_000);
    expect(limiter.take("k")).toBe(0);
    expect(limiter.count("k")).toBe(1);
  });

  test("an attempt given back no longer counts; reset forgets a key", () => {
    const limiter = new AttemptLimiter(new FakeClock(), { limit: 1, windowMs: 60_000 });
    expect(limiter.take("k")).toBe(0);
    expect(limiter.retryAfterMs("k")).toBeGreaterThan(0);
    limiter.giveBack("k");
    expect(limiter.take("k")).toBe(0);
    limiter.reset("k");
    expect(limiter.retryAfterMs("k")).toBe(0);
  });

  test("memory stays bounded under many keys, and prune forgets expired windows", () => {
    const clock = new FakeClock();
    const limiter = new AttemptLimiter(clock, { limit: 1, windowMs: 60_000 }, 100);
    for (let i = 0; i < 1000; i++) limiter.take(`new${i}`);
    expect(limiter.size).toBeLessThanOrEqual(100);
    expect(limiter.retryAfterMs("new999")).toBeGreaterThan(0);
    clock.advance(61_000);
    limiter.prune();
    expect(limiter.size).toBe(0);
  });
});

describe("LoginGate", () => {
  const rules = {
    perAccountAndAddress: { limit: 3, windowMs: 60_000 },
    perAddress: { limit: 100, windowMs: 60_000 },
    perAccount: { limit: 6, windowMs: 60_000 },
    slowedIntervalMs: 5_000,
  };
  const refused = (work: () => unknown): number => {
    try {
      work();
    } catch (error) {
      if (error instanceof AppError && error.code === "too_many_attempts") return error.extra.retryAfterSeconds!;
      throw error;
    }
    return 0;
  };

  test("attempts are counted when admitted, so a burst never gets past the limit", () => {
    const gate = new LoginGate(new FakeClock(), rules);
    const outcomes = Array.from({ length: 10 }, () => refused(() => gate.admit("account:1", "198.51.100.7")));
    expect(outcomes.filter((wait) => wait === 0).length).toBe(3);
  });

  test("a success gives its attempt back and clears that address's failures on the account", () => {
    const gate = new LoginGate(new FakeClock(), rules);
    gate.admit("account:1", "a");
    gate.admit("account:1", "a");
    gate.admit("account:1", "a").succeeded();
    for (let i = 0; i < 3; i++) expect(refused(() => gate.admit("account:1", "a"))).toBe(0);
    expect(refused(() => gate.admit("account:1", "a"))).toBeGreaterThan(0);
  });

  test("an account failed on from many addresses is slowed, with a lane of its own for addresses that never failed", () => {
    const clock = new FakeClock();
    const gate = new LoginGate(clock, rules);
    for (const address of ["a", "b", "c"]) for (let i = 0; i < 2; i++) gate.admit("account:1", address);
    // Six failures: slowed now, one attempt per 5 s from addresses that failed on it…
    expect(refused(() => gate.admit("account:1", "a"))).toBe(0);
    expect(refused(() => gate.admit("account:1", "b"))).toBe(5);
    // …and, separately, one per 5 s from addresses that did not (the owner's).
    expect(refused(() => gate.admit("account:1", "owner"))).toBe(0);
    expect(refused(() => gate.admit("account:1", "someone-else"))).toBe(5);
    clock.advance(5_000);
    expect(refused(() => gate.admit("account:1", "someone-else"))).toBe(0);
    // Another account is not slowed at all.
    expect(refused(() => gate.admit("account:2", "a"))).toBe(0);
    expect(refused(() => gate.admit("account:2", "a"))).toBe(0);
  });
});
