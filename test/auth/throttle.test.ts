import { RedisClient } from "bun";
import { afterAll, describe, expect, test } from "bun:test";
import { LoginGate } from "../../src/auth/login-gate.ts";
import { AttemptLimiter } from "../../src/auth/throttle.ts";
import { AppError } from "../../src/errors.ts";
import { createLogger } from "../../src/log.ts";
import { RedisThrottleStore } from "../../src/throttle/redis-store.ts";
import { MemoryThrottleStore, type ThrottleStore } from "../../src/throttle/store.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { freshPrefix, testRedisUrl } from "../support/services.ts";

const clients: RedisClient[] = [];
afterAll(() => {
  for (const client of clients) client.close();
});

const silent = createLogger({ level: "error", clock: new FakeClock(), write: () => {} });

/** The same contract, kept in this process and in Redis (shared by instances). */
const stores: [string, (clock: FakeClock) => Promise<ThrottleStore>][] = [
  ["in memory", async (clock) => new MemoryThrottleStore(clock)],
  [
    "in Redis",
    async (clock) => {
      const client = new RedisClient(await testRedisUrl());
      clients.push(client);
      return new RedisThrottleStore(client, clock, silent, freshPrefix());
    },
  ],
];

const rule = { limit: 3, windowMs: 60_000 };
const counted = (key: string, limits = true) => ({ key, rule, limits });

describe.each(stores)("ThrottleStore %s", (_, make) => {
  test("counts attempts up front and blocks a key at its limit until its window has passed", async () => {
    const clock = new FakeClock();
    const store = await make(clock);
    expect(await store.take([counted("k")])).toBe(0);
    expect(await store.take([counted("k")])).toBe(0);
    clock.advance(10_000);
    expect(await store.take([counted("k")])).toBe(0);
    expect(await store.take([counted("k")])).toBe(50_000);
    expect(await store.count("k", rule)).toBe(3);
    expect(await store.retryAfter("k", rule)).toBe(50_000);
    expect(await store.take([counted("other")])).toBe(0);
    clock.advance(50_000);
    expect(await store.retryAfter("k", rule)).toBe(0);
    expect(await store.take([counted("k")])).toBe(0);
    expect(await store.count("k", rule)).toBe(1);
  });

  test("several counters at once: all counted, or none when a limiting one is full", async () => {
    const store = await make(new FakeClock());
    for (let i = 0; i < 3; i++) expect(await store.take([counted("a"), counted("b", false)])).toBe(0);
    expect(await store.take([counted("a"), counted("b", false)])).toBe(60_000);
    expect(await store.count("b", rule)).toBe(3);
    // b only counts: it never refuses, and goes on counting past its limit.
    expect(await store.take([counted("c"), counted("b", false)])).toBe(0);
    expect(await store.count("b", rule)).toBe(4);
  });

  test("concurrent attempts never get past the limit", async () => {
    const store = await make(new FakeClock());
    const waits = await Promise.all(Array.from({ length: 25 }, () => store.take([counted("burst")])));
    expect(waits.filter((wait) => wait === 0).length).toBe(3);
  });

  test("an attempt given back no longer counts; reset forgets a key", async () => {
    const store = await make(new FakeClock());
    const one = { limit: 1, windowMs: 60_000 };
    expect(await store.take([{ key: "k", rule: one, limits: true }])).toBe(0);
    expect(await store.retryAfter("k", one)).toBeGreaterThan(0);
    await store.giveBack("k", one);
    expect(await store.take([{ key: "k", rule: one, limits: true }])).toBe(0);
    await store.reset("k");
    expect(await store.retryAfter("k", one)).toBe(0);
  });

  test("a slot admits one attempt per interval", async () => {
    const clock = new FakeClock();
    const store = await make(clock);
    expect(await store.claimSlot("lane", 5_000)).toBe(0);
    expect(await store.claimSlot("lane", 5_000)).toBe(5_000);
    clock.advance(4_000);
    expect(await store.claimSlot("lane", 5_000)).toBe(1_000);
    clock.advance(1_000);
    expect(await store.claimSlot("lane", 5_000)).toBe(0);
  });

  test("a token bucket: a burst, then the sustained rate", async () => {
    const clock = new FakeClock();
    const store = await make(clock);
    const bucket = { burst: 3, perSecond: 2 };
    for (let i = 0; i < 3; i++) expect(await store.takeToken("u", bucket)).toBe(0);
    expect(await store.takeToken("u", bucket)).toBeCloseTo(0.5);
    clock.advance(500);
    expect(await store.takeToken("u", bucket)).toBe(0);
    expect(await store.takeToken("u", bucket)).toBeCloseTo(0.5);
    expect(await store.takeToken("someone-else", bucket)).toBe(0);
  });
});

describe("MemoryThrottleStore", () => {
  test("memory stays bounded under many keys, and prune forgets what expired", async () => {
    const clock = new FakeClock();
    const store = new MemoryThrottleStore(clock, 100);
    for (let i = 0; i < 1000; i++) await store.take([{ key: `new${i}`, rule: { limit: 1, windowMs: 60_000 }, limits: true }]);
    expect(store.size).toBeLessThanOrEqual(100);
    expect(await store.retryAfter("new999", { limit: 1, windowMs: 60_000 })).toBeGreaterThan(0);
    await store.claimSlot("lane", 1_000);
    await store.takeToken("chat", { burst: 5, perSecond: 1 });
    clock.advance(61_000);
    store.prune();
    expect(store.size).toBe(0);
  });
});

describe("RedisThrottleStore", () => {
  test("refuses (503) rather than let an attempt through unthrottled when Redis does not answer", async () => {
    const client = new RedisClient("redis://127.0.0.1:1", { autoReconnect: false });
    clients.push(client);
    const store = new RedisThrottleStore(client, new FakeClock(), silent, freshPrefix());
    await expect(store.take([counted("k")])).rejects.toMatchObject({ kind: "unavailable", code: "throttle_store_unavailable" });
  });
});

describe("AttemptLimiter", () => {
  test("keys of two limiters never meet in one store", async () => {
    const store = new MemoryThrottleStore(new FakeClock());
    const registrations = new AttemptLimiter(store, "registrations", { limit: 1, windowMs: 60_000 });
    const starts = new AttemptLimiter(store, "oauth-starts", { limit: 1, windowMs: 60_000 });
    expect(await registrations.take("192.0.2.1")).toBe(0);
    expect(await starts.take("192.0.2.1")).toBe(0);
    expect(await registrations.take("192.0.2.1")).toBeGreaterThan(0);
  });
});

describe.each(stores)("LoginGate %s", (_, make) => {
  const rules = {
    perAccountAndAddress: { limit: 3, windowMs: 60_000 },
    perAddress: { limit: 100, windowMs: 60_000 },
    perAccount: { limit: 6, windowMs: 60_000 },
    slowedIntervalMs: 5_000,
  };
  const refused = async (work: () => Promise<unknown>): Promise<number> => {
    try {
      await work();
    } catch (error) {
      if (error instanceof AppError && error.code === "too_many_attempts") return error.extra.retryAfterSeconds!;
      throw error;
    }
    return 0;
  };

  test("attempts are counted when admitted, so a burst never gets past the limit", async () => {
    const gate = new LoginGate(await make(new FakeClock()), rules);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => refused(() => gate.admit("account:1", "198.51.100.7"))));
    expect(outcomes.filter((wait) => wait === 0).length).toBe(3);
  });

  test("attempts from many addresses at once past the account's limit get one slot per lane, however they interleave", async () => {
    const gate = new LoginGate(await make(new FakeClock()), rules);
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, i) => refused(() => gate.admit("account:1", `198.51.100.${i}`))));
    // Six within the account's limit, then the lane of addresses that never failed here admits one.
    expect(outcomes.filter((wait) => wait === 0).length).toBe(7);
  });

  test("a success gives its attempt back and clears that address's failures on the account", async () => {
    const gate = new LoginGate(await make(new FakeClock()), rules);
    await gate.admit("account:1", "a");
    await gate.admit("account:1", "a");
    await (await gate.admit("account:1", "a")).succeeded();
    for (let i = 0; i < 3; i++) expect(await refused(() => gate.admit("account:1", "a"))).toBe(0);
    expect(await refused(() => gate.admit("account:1", "a"))).toBeGreaterThan(0);
  });

  test("an account failed on from many addresses is slowed, with a lane of its own for addresses that never failed", async () => {
    const clock = new FakeClock();
    const gate = new LoginGate(await make(clock), rules);
    for (const address of ["a", "b", "c"]) for (let i = 0; i < 2; i++) await gate.admit("account:1", address);
    // Six failures: slowed now, one attempt per 5 s from addresses that failed on it…
    expect(await refused(() => gate.admit("account:1", "a"))).toBe(0);
    expect(await refused(() => gate.admit("account:1", "b"))).toBe(5);
    // …and, separately, one per 5 s from addresses that did not (the owner's).
    expect(await refused(() => gate.admit("account:1", "owner"))).toBe(0);
    expect(await refused(() => gate.admit("account:1", "someone-else"))).toBe(5);
    clock.advance(5_000);
    expect(await refused(() => gate.admit("account:1", "someone-else"))).toBe(0);
    // Another account is not slowed at all.
    expect(await refused(() => gate.admit("account:2", "a"))).toBe(0);
    expect(await refused(() => gate.admit("account:2", "a"))).toBe(0);
  });
});
