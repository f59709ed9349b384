import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { MAX_XP_CHANGE } from "../../src/xp/xp-service.ts";
import { levelFor, xpForLevel } from "../../src/xp/levels.ts";
import { call } from "../support/http.ts";
import { testEngine } from "../support/services.ts";
import { createTestContext, query, queryOne } from "../support/test-context.ts";

async function setup() {
  const test = await createTestContext();
  const user = await test.ctx.services.users.create({ username: "ada", email: "ada@example.com" });
  return { ...test, xp: test.ctx.services.xp, userId: user.id };
}

describe("XpService.add", () => {
  test("writes a ledger entry with the balance after it, and the balance", async () => {
    const s = await setup();
    const first = await s.xp.add({ userId: s.userId, amount: 35, source: "check_in", reference: "ada:2026-01-15", actor: "user:1" });
    expect(first).toMatchObject({ applied: true, balance: 35, entry: { amount: 35, source: "check_in", balanceAfter: 35, actor: "user:1" } });
    const second = await s.xp.add({ userId: s.userId, amount: -20, source: "streak_freeze_purchase" });
    expect(second.balance).toBe(15);
    expect(second.entry.balanceAfter).toBe(15);
    expect(second.entry.actor).toBe("system");
    expect(await s.xp.balance(s.userId)).toBe(15);
    expect(second.entry.createdAt).toEqual(s.clock.now());
  });

  test("a repeat of (source, reference) answers the first entry and changes nothing", async () => {
    const s = await setup();
    const first = await s.xp.add({ userId: s.userId, amount: 100, source: "purchase", reference: "order_1" });
    s.clock.advance(60_000);
    const repeat = await s.xp.add({ userId: s.userId, amount: 100, source: "purchase", reference: "order_1" });
    expect(repeat.applied).toBe(false);
    expect(repeat.entry).toEqual(first.entry);
    expect(repeat.balance).toBe(100);
    expect(await queryOne(s.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM xp_ledger")).toEqual({ n: 1 });
    // The same reference under another source is another change.
    expect((await s.xp.add({ userId: s.userId, amount: 100, source: "referral", reference: "order_1" })).applied).toBe(true);
  });

  test("the same reference with other values is a conflict, not a silent repeat", async () => {
    const s = await setup();
    await s.xp.add({ userId: s.userId, amount: 100, source: "purchase", reference: "order_1" });
    await expect(s.xp.add({ userId: s.userId, amount: 500, source: "purchase", reference: "order_1" })).rejects.toThrow(expect.objectContaining({ code: "reference_conflict" }));
    expect(await s.xp.balance(s.userId)).toBe(100);
  });

  test("a spend below zero fails with insufficient_xp and writes nothing", async () => {
    const s = await setup();
    await s.xp.add({ userId: s.userId, amount: 40, source: "check_in", reference: "r1" });
    await expect(s.xp.add({ userId: s.userId, amount: -50, source: "streak_freeze_purchase", reference: "f1" })).rejects.toThrow(
      expect.objectContaining({ kind: "conflict", code: "insufficient_xp" }),
    );
    expect(await s.xp.balance(s.userId)).toBe(40);
    expect(await queryOne(s.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM xp_ledger")).toEqual({ n: 1 });
    expect((await s.xp.add({ userId: s.userId, amount: -40, source: "admin_adjustment" })).balance).toBe(0);
  });

  test.each([
    ["zero", { amount: 0, source: "admin_adjustment" }],
    ["a fraction", { amount: 1.5, source: "admin_adjustment" }],
    ["NaN", { amount: Number.NaN, source: "admin_adjustment" }],
    ["over the bound", { amount: MAX_XP_CHANGE + 1, source: "admin_adjustment" }],
    ["under the bound", { amount: -MAX_XP_CHANGE - 1, source: "admin_adjustment" }],
    ["a negative check-in", { amount: -5, source: "check_in" }],
    ["a negative purchase", { amount: -100, source: "purchase" }],
    ["a positive freeze purchase", { amount: 50, source: "streak_freeze_purchase" }],
    ["an unknown source", { amount: 5, source: "lottery" }],
    ["an empty reference", { amount: 5, source: "check_in", reference: "" }],
  ])("refuses %s", async (_, change) => {
    const s = await setup();
    await expect(s.xp.add({ userId: s.userId, ...(change as { amount: number; source: "check_in" }) })).rejects.toThrow(expect.objectContaining({ code: "validation_failed" }));
    expect(await s.xp.balance(s.userId)).toBe(0);
  });

  test("an unknown user is 404", async () => {
    const s = await setup();
    await expect(s.xp.add({ userId: 999, amount: 5, source: "check_in" })).rejects.toThrow(expect.objectContaining({ code: "user_not_found" }));
  });
});

describe("levels", () => {
  test("level n starts at 50·(n−1)² XP", async () => {
    expect([0, 49, 50, 199, 200, 449, 450, 800, 4050].map(levelFor)).toEqual([1, 1, 2, 2, 3, 3, 4, 5, 10]);
    for (let level = 1; level <= 50; level++) {
      expect(levelFor(xpForLevel(level))).toBe(level);
      if (level > 1) expect(levelFor(xpForLevel(level) - 1)).toBe(level - 1);
    }
    expect(levelFor(-5)).toBe(1);
  });
});

describe("GET /api/xp/history/", () => {
  test("the caller's ledger, newest first, in pages that cover it exactly once", async () => {
    const s = await setup();
    const app = createApp(s.ctx);
    const { accessToken: access_token } = await s.ctx.services.tokens.issue({ id: s.userId, role: "user" });
    for (let i = 1; i <= 45; i++) {
      await s.xp.add({ userId: s.userId, amount: i, source: "check_in", reference: `day${i}` });
      s.clock.advance(1000);
    }
    const other = await s.ctx.services.users.create({ username: "other" });
    await s.xp.add({ userId: other.id, amount: 7, source: "check_in" });

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=20&cursor=${cursor}` : "?limit=20";
      const page = await call(app, "GET", `/api/xp/history/${query}`, { token: access_token });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((item: { amount: number }) => item.amount));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 45 }, (_, i) => 45 - i));
    const first = (await call(app, "GET", "/api/xp/history/", { token: access_token })).body;
    expect(first.items.length).toBe(20);
    expect(first.items[0]).toEqual({
      id: expect.any(Number),
      amount: 45,
      source: "check_in",
      reference: "day45",
      balance_after: (45 * 46) / 2,
      created_at: expect.stringMatching(/Z$/),
    });
  });

  test("bad paging input is 400", async () => {
    const s = await setup();
    const app = createApp(s.ctx);
    const { accessToken: access_token } = await s.ctx.services.tokens.issue({ id: s.userId, role: "user" });
    for (const query of ["?limit=0", "?limit=101", "?limit=ten", "?cursor=garbage!!", `?cursor=${Buffer.from('"x"').toString("base64url")}`]) {
      const result = await call(app, "GET", `/api/xp/history/${query}`, { token: access_token });
      expect(result.status).toBe(400);
    }
    expect((await call(app, "GET", "/api/xp/history/")).status).toBe(401);
  });
});

describe("GET /api/xp/leaderboard/", () => {
  test("most XP first, ties to the older account, ranks continuing across pages; disabled accounts left out", async () => {
    const s = await setup();
    const app = createApp(s.ctx);
    const balances = [50, 300, 300, 10, 300, 0, 75];
    const ids: number[] = [];
    for (const [i, amount] of balances.entries()) {
      const user = await s.ctx.services.users.create({ username: `user${i}` });
      if (amount > 0) await s.xp.add({ userId: user.id, amount, source: "admin_adjustment" });
      ids.push(user.id);
    }
    await query(s.ctx, "UPDATE users SET disabled = 1 WHERE id = ?", ids[6]!);

    const page1 = (await call(app, "GET", "/api/xp/leaderboard/?limit=3")).body;
    expect(page1.items).toEqual([
      { rank: 1, username: "user1", avatar_url: null, xp: 300, level: 3 },
      { rank: 2, username: "user2", avatar_url: null, xp: 300, level: 3 },
      { rank: 3, username: "user4", avatar_url: null, xp: 300, level: 3 },
    ]);
    const page2 = (await call(app, "GET", `/api/xp/leaderboard/?limit=3&cursor=${page1.next_cursor}`)).body;
    expect(page2.items.map((item: { rank: number; username: string }) => [item.rank, item.username])).toEqual([
      [4, "user0"],
      [5, "user3"],
      [6, "ada"],
    ]);
    const page3 = (await call(app, "GET", `/api/xp/leaderboard/?limit=3&cursor=${page2.next_cursor}`)).body;
    expect(page3).toEqual({ items: [{ rank: 7, username: "user5", avatar_url: null, xp: 0, level: 1 }], next_cursor: null });
  });

  test.skipIf(testEngine === "postgres")("uses its index rather than sorting every profile (SQLite's plan)", async () => {
    const s = await setup();
    const plan = s.ctx.sqlite!
      .query<{ detail: string }, []>(
        "EXPLAIN QUERY PLAN SELECT p.user_id FROM profiles p JOIN users u ON u.id = p.user_id WHERE u.disabled = 0 ORDER BY p.xp DESC, p.user_id LIMIT 21",
      )
      .all()
      .map((row) => row.detail)
      .join("\n");
    expect(plan).toContain("profiles_leaderboard_idx");
    expect(plan).not.toContain("TEMP B-TREE");
  });
});
