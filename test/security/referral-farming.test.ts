import { describe, expect, test } from "bun:test";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

describe("registrations", () => {
  test("are throttled per client address; a name already taken is refused without counting", async () => {
    const s = await realServer({ env: { COC_REGISTRATIONS_PER_ADDRESS: "3/1h" } });
    const farm = s.from("198.51.100.66");
    expect((await farm.register("first")).status).toBe(201);
    for (let i = 0; i < 5; i++) expect((await farm.register("first", `other${i}@example.com`)).status).toBe(409);
    expect((await farm.register("second")).status).toBe(201);
    expect((await farm.register("third")).status).toBe(201);
    const refused = await farm.register("fourth");
    expect([refused.status, refused.body.code, refused.headers.get("retry-after")]).toEqual([429, "too_many_registrations", "3600"]);
    expect(await s.ctx.services.users.findByUsername("fourth")).toBeUndefined();
    // Someone else, elsewhere, is not affected; the farm may go on an hour later.
    expect((await s.from("203.0.113.7").register("neighbour")).status).toBe(201);
    s.clock.advance(3_600_000);
    expect((await farm.register("fourth")).status).toBe(201);
  });

  test("that many at once from one address never get past the limit", async () => {
    const s = await realServer({ env: { COC_REGISTRATIONS_PER_ADDRESS: "3/1h" } });
    const farm = s.from("198.51.100.66");
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => farm.register(`burst${i}`)));
    expect(answers.filter((answer) => answer.status === 201).length).toBe(3);
    expect(answers.filter((answer) => answer.status === 429).length).toBe(9);
  });
});

describe("referral rewards", () => {
  test("a referrer earns at most the daily cap in 24 hours; the people who redeem always get theirs", async () => {
    const s = await realServer({ env: { COC_REFERRAL_DAILY_CAP: "3" } });
    const referrer = await s.from("203.0.113.1").register("referrer");
    const code = (await s.from("203.0.113.1").send("GET", "/api/profiles/user/", { token: referrer.body.access_token })).body.referral_code;
    const redeem = async (name: string, address: string) => {
      const account = await s.from(address).register(name);
      expect(account.status).toBe(201);
      return s.from(address).send("POST", "/api/profiles/user/redeem-referral/", { token: account.body.access_token, json: { code } });
    };
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await redeem(`throwaway${i}`, `198.51.100.${i + 1}`));
    expect(answers.map((answer) => [answer.status, answer.body.xp_awarded, answer.body.referrer_rewarded])).toEqual([
      [200, 100, true],
      [200, 100, true],
      [200, 100, true],
      [200, 100, false],
      [200, 100, false],
    ]);
    expect(await s.ctx.services.xp.balance(referrer.body.user.id)).toBe(300);
    s.clock.advance(24 * 3_600_000 + 1);
    expect((await redeem("tomorrow", "198.51.100.99")).body.referrer_rewarded).toBe(true);
    expect(await s.ctx.services.xp.balance(referrer.body.user.id)).toBe(400);
  });
});
