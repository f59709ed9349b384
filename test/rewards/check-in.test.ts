import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { call } from "../support/http.ts";
import { createTestContext, query, queryOne } from "../support/test-context.ts";

async function setup(options: { env?: Record<string, string>; start?: string; zone?: string } = {}) {
  const clock = new FakeClock(options.start ?? "2026-03-01T12:00:00Z");
  const test = await createTestContext({ clock, env: options.env });
  const app = createApp(test.ctx);
  const session = await test.ctx.services.auth.register({ username: "ada", email: "ada@example.com", password: "long enough" }, "192.0.2.1");
  const token = session.tokens.accessToken;
  const s = { ...test, app, clock, userId: session.user.id, token };
  if (options.zone) await setZone(s, options.zone);
  return s;
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** Access tokens live 15 minutes; days pass in these tests, so each request gets a fresh one. */
async function token(s: Setup): Promise<string> {
  return (await s.ctx.services.tokens.issue({ id: s.userId, role: "user" })).accessToken;
}

const checkIn = async (s: Setup) => call(s.app, "POST", "/api/rewards/check-in/", { token: await token(s) });
const status = async (s: Setup) => call(s.app, "GET", "/api/rewards/check-in/", { token: await token(s) });
const buyFreeze = async (s: Setup, headers: Record<string, string> = {}) => call(s.app, "POST", "/api/rewards/streak-freezes/", { token: await token(s), headers });
const setZone = async (s: Setup, timezone: string) => call(s.app, "PATCH", "/api/profiles/user/", { token: await token(s), json: { timezone } });
const DAY = 86_400_000;

describe("the daily check-in", () => {
  test("35 days in a row: the 7-day cycle of 5…35 XP repeats while the streak counts on", async () => {
    const s = await setup();
    let total = 0;
    for (let day = 1; day <= 35; day++) {
      const result = await checkIn(s);
      expect(result.status).toBe(201);
      const cycle = ((day - 1) % 7) + 1;
      total += cycle * 5;
      expect(result.body).toMatchObject({
        streak_day: day,
        cycle_day: cycle,
        xp_earned: cycle * 5,
        total_xp: total,
        streak_saved: false,
        freezes_left: 0,
        check_in: { streak_day: day, cycle_day: cycle, xp_earned: cycle * 5, freezes_used: 0 },
        streak: { current: day, longest: day, freezes: 0 },
      });
      s.clock.advance(DAY);
    }
    expect(total).toBe(5 * (5 + 10 + 15 + 20 + 25 + 30 + 35));
    const history = await query<{ reference: string }>(s.ctx, "SELECT reference FROM xp_ledger WHERE source = 'check_in' ORDER BY id");
    expect(history.length).toBe(35);
    expect(history[0]!.reference).toBe(`${s.userId}:2026-03-01`);
  });

  test("a second check-in the same local day: 409 already_checked_in, nothing changes", async () => {
    const s = await setup();
    expect((await checkIn(s)).status).toBe(201);
    s.clock.advance(11 * 3600_000 + 59 * 60_000);
    const again = await checkIn(s);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe("already_checked_in");
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(5);
    s.clock.advance(60_000);
    expect((await checkIn(s)).body.streak_day).toBe(2);
  });

  test("twenty check-ins at the same moment: exactly one wins", async () => {
    const s = await setup();
    const results = await Promise.all(Array.from({ length: 20 }, () => checkIn(s)));
    expect(results.filter((r) => r.status === 201).length).toBe(1);
    expect(results.filter((r) => r.status === 409).length).toBe(19);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(5);
    expect(await queryOne(s.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM check_ins")).toEqual({ n: 1 });
  });

  test("a missed day with a freeze held: the freeze is spent and the streak goes on", async () => {
    const s = await setup();
    for (let day = 0; day < 7; day++) {
      await checkIn(s);
      s.clock.advance(DAY);
    }
    expect((await buyFreeze(s)).body).toEqual({ freezes: 1, total_xp: 140 - 50 });
    s.clock.advance(DAY); // day 8 missed
    const saved = await checkIn(s);
    expect(saved.body).toMatchObject({ streak_day: 8, cycle_day: 1, xp_earned: 5, streak_saved: true, freezes_left: 0, check_in: { freezes_used: 1 } });
  });

  test("a miss longer than the freezes held resets the streak to 1 and keeps the freezes", async () => {
    const s = await setup();
    for (let day = 0; day < 7; day++) {
      await checkIn(s);
      s.clock.advance(DAY);
    }
    await buyFreeze(s);
    s.clock.advance(2 * DAY); // two days missed, one freeze held
    const reset = await checkIn(s);
    expect(reset.body).toMatchObject({ streak_day: 1, cycle_day: 1, streak_saved: false, freezes_left: 1, streak: { current: 1, longest: 7, freezes: 1 } });
  });

  test("two freezes bridge two missed days", async () => {
    const s = await setup();
    for (let day = 0; day < 7; day++) {
      await checkIn(s);
      s.clock.advance(DAY);
    }
    await buyFreeze(s);
    await buyFreeze(s);
    s.clock.advance(2 * DAY);
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 8, streak_saved: true, freezes_left: 0, check_in: { freezes_used: 2 } });
  });
});

describe("streak freezes", () => {
  async function rich(s: Setup, xp = 500) {
    await s.ctx.services.xp.add({ userId: s.userId, amount: xp, source: "admin_adjustment" });
  }

  test("at the cap: 409 freeze_cap_reached, no XP spent", async () => {
    const s = await setup();
    await rich(s);
    expect((await buyFreeze(s)).status).toBe(201);
    expect((await buyFreeze(s)).body).toEqual({ freezes: 2, total_xp: 400 });
    const capped = await buyFreeze(s);
    expect([capped.status, capped.body.code]).toEqual([409, "freeze_cap_reached"]);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(400);
  });

  test("without enough XP: 409 insufficient_xp, no freeze", async () => {
    const s = await setup();
    await rich(s, 49);
    const poor = await buyFreeze(s);
    expect([poor.status, poor.body.code]).toEqual([409, "insufficient_xp"]);
    expect((await status(s)).body.streak.freezes).toBe(0);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(49);
  });

  test("five purchases at once with room for two: two succeed", async () => {
    const s = await setup();
    await rich(s);
    const results = await Promise.all(Array.from({ length: 5 }, () => buyFreeze(s)));
    expect(results.filter((r) => r.status === 201).length).toBe(2);
    expect(results.filter((r) => r.body.code === "freeze_cap_reached").length).toBe(3);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(400);
  });

  test("a retried purchase with the same Idempotency-Key buys once", async () => {
    const s = await setup();
    await rich(s);
    const first = await buyFreeze(s, { "idempotency-key": "tap-1" });
    const retry = await buyFreeze(s, { "idempotency-key": "tap-1" });
    expect(first.body).toEqual({ freezes: 1, total_xp: 450 });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual({ freezes: 1, total_xp: 450 });
    expect((await buyFreeze(s, { "idempotency-key": "tap-2" })).body).toEqual({ freezes: 2, total_xp: 400 });
    expect((await buyFreeze(s, { "idempotency-key": "bad key!" })).status).toBe(400);
  });

  test("the cost and cap are configurable", async () => {
    const s = await setup({ env: { COC_STREAK_FREEZE_COST: "20", COC_STREAK_FREEZE_CAP: "1" } });
    await rich(s, 100);
    expect((await buyFreeze(s)).body).toEqual({ freezes: 1, total_xp: 80 });
    expect((await buyFreeze(s)).body.code).toBe("freeze_cap_reached");
  });
});

describe("time zones", () => {
  test("Pacific/Kiritimati (UTC+14): today is already tomorrow in UTC", async () => {
    const s = await setup({ start: "2026-03-01T09:59:00Z", zone: "Pacific/Kiritimati" });
    expect((await checkIn(s)).body.check_in.date).toBe("2026-03-01");
    s.clock.set("2026-03-01T10:00:00Z"); // local midnight: 2026-03-02 00:00
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 2, check_in: { date: "2026-03-02" } });
  });

  test("America/Los_Angeles across the spring-forward DST change: local midnights, consecutive days", async () => {
    const s = await setup({ start: "2026-03-07T07:59:00Z", zone: "America/Los_Angeles" });
    expect((await checkIn(s)).body.check_in.date).toBe("2026-03-06");
    s.clock.set("2026-03-07T08:00:00Z"); // 03-07 00:00 PST
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 2, check_in: { date: "2026-03-07" } });
    s.clock.set("2026-03-08T07:59:00Z"); // 03-07 23:59 PST: still the same local day
    expect((await checkIn(s)).status).toBe(409);
    s.clock.set("2026-03-08T08:00:00Z"); // 03-08 00:00 PST; the clocks jump at 02:00
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 3, check_in: { date: "2026-03-08" } });
    s.clock.set("2026-03-09T06:59:00Z"); // 03-08 23:59 PDT
    expect((await checkIn(s)).status).toBe(409);
    const next = await status(s);
    expect(next.body.next_check_in_at).toBe("2026-03-09T07:00:00.000Z");
    s.clock.set("2026-03-09T07:00:00Z"); // 03-09 00:00 PDT: midnight is now an hour earlier in UTC
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 4, check_in: { date: "2026-03-09" } });
  });

  test("moving west (Kiritimati → Los Angeles) never allows two check-ins for one local date", async () => {
    const s = await setup({ start: "2026-03-01T11:00:00Z", zone: "Pacific/Kiritimati" });
    expect((await checkIn(s)).body.check_in.date).toBe("2026-03-02");
    await setZone(s, "America/Los_Angeles"); // there it is 2026-03-01 03:00
    expect((await checkIn(s)).status).toBe(409);
    s.clock.set("2026-03-02T12:00:00Z"); // LA 03-02 04:00: the date already checked in
    expect((await checkIn(s)).status).toBe(409);
    s.clock.set("2026-03-03T08:00:00Z"); // LA 03-03 00:00
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 2, streak_saved: false, check_in: { date: "2026-03-03" } });
    expect(await query(s.ctx, "SELECT date FROM check_ins ORDER BY id")).toEqual([{ date: "2026-03-02" }, { date: "2026-03-03" }]);
  });

  test("moving east (Los Angeles → Kiritimati) buys no early extra day", async () => {
    const s = await setup({ start: "2026-03-01T20:00:00Z", zone: "America/Los_Angeles" });
    expect((await checkIn(s)).body.check_in.date).toBe("2026-03-01"); // LA 12:00
    await setZone(s, "Pacific/Kiritimati"); // there it is already 2026-03-02 10:00
    const early = await checkIn(s);
    expect(early.status).toBe(409);
    expect((await status(s)).body.next_check_in_at).toBe("2026-03-02T08:00:00.000Z"); // LA's next midnight
    s.clock.set("2026-03-02T08:00:00Z"); // LA 03-02 00:00, Kiritimati 03-02 22:00
    expect((await checkIn(s)).body).toMatchObject({ streak_day: 2, check_in: { date: "2026-03-02" } });
  });

  test("an unknown zone cannot be set, so check-ins never meet one", async () => {
    const s = await setup();
    expect((await setZone(s, "Atlantis/Capital")).status).toBe(400);
  });
});

describe("GET /api/rewards/check-in/", () => {
  test("before the first check-in: open, day 1 next, and the reward table", async () => {
    const s = await setup();
    expect((await status(s)).body).toEqual({
      checked_in_today: false,
      next_check_in_at: "2026-03-01T12:00:00.000Z",
      streak: { current: 0, longest: 0, freezes: 0, last_check_in: null },
      cycle_day_next: 1,
      xp_next: 5,
      streak_alive: true,
      rewards: { "1": 5, "2": 10, "3": 15, "4": 20, "5": 25, "6": 30, "7": 35 },
      recent: [],
      // The original web client's members.
      current_streak: 0,
      today_checkin: null,
      recent_checkins: [],
      daily_rewards: { "1": 5, "2": 10, "3": 15, "4": 20, "5": 25, "6": 30, "7": 35 },
      freezes_left: 0,
    });
  });

  test("after checking in: closed until local midnight, the next cycle day, recent check-ins", async () => {
    const s = await setup();
    await checkIn(s);
    s.clock.advance(DAY);
    await checkIn(s);
    const body = (await status(s)).body;
    expect(body).toMatchObject({
      checked_in_today: true,
      next_check_in_at: "2026-03-03T00:00:00.000Z",
      streak: { current: 2, longest: 2, freezes: 0, last_check_in: "2026-03-02" },
      cycle_day_next: 3,
      xp_next: 15,
    });
    expect(body.recent).toEqual([
      { date: "2026-03-02", streak_day: 2, cycle_day: 2, xp_earned: 10, freezes_used: 0 },
      { date: "2026-03-01", streak_day: 1, cycle_day: 1, xp_earned: 5, freezes_used: 0 },
    ]);
  });

  test("a streak that the next check-in cannot save shows as over", async () => {
    const s = await setup();
    await checkIn(s);
    s.clock.advance(DAY);
    await checkIn(s);
    s.clock.advance(3 * DAY);
    expect((await status(s)).body).toMatchObject({ checked_in_today: false, streak: { current: 0, longest: 2 }, cycle_day_next: 1, streak_alive: false });
  });

  test("the reward table is configurable", async () => {
    const s = await setup({ env: { COC_CHECKIN_REWARDS: "1,2,3" } });
    const earned: number[] = [];
    for (let day = 0; day < 5; day++) {
      earned.push((await checkIn(s)).body.xp_earned);
      s.clock.advance(DAY);
    }
    expect(earned).toEqual([1, 2, 3, 1, 2]);
    expect((await status(s)).body.rewards).toEqual({ "1": 1, "2": 2, "3": 3 });
  });

  test("needs a token", async () => {
    const s = await setup();
    expect((await call(s.app, "GET", "/api/rewards/check-in/")).status).toBe(401);
    expect((await call(s.app, "POST", "/api/rewards/check-in/")).status).toBe(401);
  });
});
