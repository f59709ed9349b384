import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "../../src/app.ts";
import { users } from "../../src/db/schema.ts";
import { call } from "../support/http.ts";
import { createTestContext, query } from "../support/test-context.ts";

async function setup() {
  const test = await createTestContext();
  const app = createApp(test.ctx);
  const session = await test.ctx.services.auth.register({ username: "Ada", email: "ada@example.com", password: "long enough" }, "192.0.2.1");
  return { ...test, app, token: session.tokens.accessToken, userId: session.user.id };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const me = (s: Setup) => call(s.app, "GET", "/api/profiles/user/", { token: s.token });
const patch = (s: Setup, json: unknown, path = "/api/profiles/user/", method = "PATCH") => call(s.app, method, path, { token: s.token, json });

describe("GET /api/profiles/user/", () => {
  test("the caller's full profile, as API.md lists it", async () => {
    const s = await setup();
    const result = await me(s);
    expect(result.status).toBe(200);
    expect(Object.keys(result.body).sort()).toEqual(
      // Ours, and the original web client's members beside them.
      ["avatar_url", "banner_url", "bio", "created_at", "email", "id", "level", "links", "providers", "referral_code", "role", "streak", "streak_freezes", "timezone", "username", "xp",
       "first_name", "last_name", "is_staff", "is_superuser", "is_active", "followers_count", "following_count", "profile"].sort(),
    );
    expect(result.body).toMatchObject({
      id: s.userId,
      username: "Ada",
      email: "ada@example.com",
      xp: 0,
      level: 1,
      streak: { current: 0, longest: 0, freezes: 0, last_check_in: null },
      streak_freezes: 0,
      timezone: "UTC",
      links: {},
      providers: [],
      role: "user",
    });
  });

  test("lists the OAuth providers linked to the account", async () => {
    const s = await setup();
    const user = await s.ctx.services.users.create({
      username: "octo",
      identity: { provider: "github", providerUserId: "1", email: null, emailVerified: false },
    });
    const { accessToken: access_token } = await s.ctx.services.tokens.issue(user);
    expect((await call(s.app, "GET", "/api/profiles/user/", { token: access_token })).body.providers).toEqual(["github"]);
  });

  test("names each provider once, in order, however many of its identities are linked", async () => {
    const s = await setup();
    const user = await s.ctx.services.users.create({
      username: "octo",
      identity: { provider: "github", providerUserId: "1", email: null, emailVerified: false },
    });
    const link = "INSERT INTO identities (user_id, provider, provider_user_id, created_at, last_login_at) VALUES (?, ?, ?, 0, 0)";
    await query(s.ctx, link, user.id, "github", "2");
    await query(s.ctx, link, user.id, "discord", "3");
    const { accessToken: access_token } = await s.ctx.services.tokens.issue(user);
    expect((await call(s.app, "GET", "/api/profiles/user/", { token: access_token })).body.providers).toEqual(["discord", "github"]);
  });

  test("needs a token", async () => {
    const s = await setup();
    expect((await call(s.app, "GET", "/api/profiles/user/")).status).toBe(401);
  });
});

describe("PATCH /api/profiles/user/", () => {
  test("changes only the fields sent", async () => {
    const s = await setup();
    const result = await patch(s, {
      avatar_url: "https://img.example.com/ada.png",
      bio: "  Countess of computing  ",
      timezone: "asia/kolkata",
      links: { github: "ada-l", linkedin: "https://www.linkedin.com/in/ada", website: "https://ada.example" },
    });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({
      avatar_url: "https://img.example.com/ada.png",
      banner_url: null,
      bio: "Countess of computing",
      timezone: "Asia/Kolkata",
      links: { github: "ada-l", linkedin: "https://www.linkedin.com/in/ada", website: "https://ada.example/" },
    });
    const second = await patch(s, { links: { github: "@ada-lovelace", website: null }, banner_url: "http://img.example.com/b.png" });
    expect(second.body.links).toEqual({ github: "ada-lovelace", linkedin: "https://www.linkedin.com/in/ada" });
    expect(second.body.bio).toBe("Countess of computing");
    expect(second.body.banner_url).toBe("http://img.example.com/b.png");
    expect((await patch(s, { avatar_url: null })).body.avatar_url).toBeNull();
    expect((await me(s)).body.links).toEqual(second.body.links);
  });

  test("the original frontend's path /user/update/ works with PATCH and PUT", async () => {
    const s = await setup();
    expect((await patch(s, { bio: "one" }, "/api/profiles/user/update/")).body.bio).toBe("one");
    expect((await patch(s, { bio: "two" }, "/api/profiles/user/update/", "PUT")).body.bio).toBe("two");
  });

  test.each([
    [{ avatar_url: "javascript:alert(1)" }, "/avatar_url"],
    [{ avatar_url: "ftp://files.example.com/a.png" }, "/avatar_url"],
    [{ banner_url: "not a url" }, "/banner_url"],
    [{ avatar_url: "https://user:pw@img.example.com/a.png" }, "/avatar_url"],
    [{ bio: "501 characters" }, "/bio"],
    [{ bio: "501 unicorns" }, "/bio"],
    [{ timezone: "Mars/Olympus_Mons" }, "/timezone"],
    [{ timezone: "+05:30" }, "/timezone"],
    [{ links: { myspace: "tom" } }, "/links/myspace"],
    [{ links: { website: "ada" } }, "/links/website"],
    [{ links: { github: "has spaces in it" } }, "/links/github"],
    [{ xp: 1_000_000 }, "/xp"],
    [{ username: "has space" }, "/username"],
    [{ username: "admin" }, "/username"],
    [{ first_name: "x".repeat(151) }, "/first_name"],
    [{ role: "admin" }, "/role"],
  ] as [Record<string, unknown>, string][])("%p → 400 at %s and nothing changes", async (spec, path) => {
    const body = spec.bio === "501 characters" ? { bio: "x".repeat(501) } : spec.bio === "501 unicorns" ? { bio: "🦄".repeat(501) } : spec;
    const s = await setup();
    await patch(s, { bio: "before", links: { github: "ada" } });
    const before = (await me(s)).body;
    const result = await patch(s, { bio: "after", ...body });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("validation_failed");
    expect(result.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect((await me(s)).body).toEqual(before);
  });

  test("a bio of exactly 500 characters (emoji count as one) is accepted", async () => {
    const s = await setup();
    expect((await patch(s, { bio: "🦄".repeat(500) })).status).toBe(200);
  });

  test("every problem is reported at once", async () => {
    const s = await setup();
    const result = await patch(s, { avatar_url: "nope", timezone: "Nowhere/Land", links: { myspace: "x" } });
    expect(result.body.errors.map((error: { path: string }) => error.path).sort()).toEqual(["/avatar_url", "/links/myspace", "/timezone"]);
  });
});

describe("GET /api/profiles/{username}/", () => {
  test("the public subset, found ignoring case", async () => {
    const s = await setup();
    await patch(s, { bio: "hello", timezone: "Europe/Paris" });
    const result = await call(s.app, "GET", "/api/profiles/aDa/");
    expect(result.status).toBe(200);
    expect(Object.keys(result.body).sort()).toEqual(
      ["avatar_url", "banner_url", "bio", "created_at", "id", "level", "links", "role", "streak", "username", "xp",
       "first_name", "last_name", "is_staff", "is_superuser", "is_active", "followers_count", "following_count", "profile"].sort(),
    );
    expect(result.body.profile.referral_code).toBeUndefined();
    expect(result.body).toMatchObject({ username: "Ada", bio: "hello" });
    expect(result.text).not.toContain("ada@example.com");
  });

  test("unknown and disabled users are 404", async () => {
    const s = await setup();
    expect((await call(s.app, "GET", "/api/profiles/nobody/")).body.code).toBe("user_not_found");
    await s.ctx.db.update(users).set({ disabled: true }).where(eq(users.id, s.userId));
    expect((await call(s.app, "GET", "/api/profiles/ada/")).status).toBe(404);
  });
});

describe("POST /api/profiles/user/redeem-referral/", () => {
  async function twoUsers() {
    const s = await setup();
    const grace = await s.ctx.services.auth.register({ username: "grace", email: "grace@example.com", password: "long enough" }, "192.0.2.1");
    const adaCode = (await me(s)).body.referral_code as string;
    return { s, grace, adaCode };
  }
  const redeem = (s: Setup, token: string, code: string) => call(s.app, "POST", "/api/profiles/user/redeem-referral/", { token, json: { code } });

  test("credits the redeemer and the code's owner 100 XP each, through the ledger", async () => {
    const { s, grace, adaCode } = await twoUsers();
    const result = await redeem(s, grace.tokens.accessToken, adaCode.toLowerCase());
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ xp_awarded: 100, total_xp: 100, referrer: "Ada", referrer_rewarded: true, message: "Referral code redeemed: +100 XP", new_total_xp: 100 });
    expect(await s.ctx.services.xp.balance(grace.user.id)).toBe(100);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(100);
    const history = (await call(s.app, "GET", "/api/xp/history/", { token: s.token })).body.items;
    expect(history).toMatchObject([{ amount: 100, source: "referral", balance_after: 100 }]);
  });

  test("own code → 400, unknown code → 404, and nothing changes", async () => {
    const { s, adaCode } = await twoUsers();
    const own = await redeem(s, s.token, adaCode);
    expect([own.status, own.body.code]).toEqual([400, "own_referral_code"]);
    const unknown = await redeem(s, s.token, "ZZZZZZZZ");
    expect([unknown.status, unknown.body.code]).toEqual([404, "referral_code_not_found"]);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(0);
  });

  test("once per user: a second redeem, or redeeming back the code of one's own referee, is 409", async () => {
    const { s, grace, adaCode } = await twoUsers();
    const third = await s.ctx.services.auth.register({ username: "linus", email: "linus@example.com", password: "long enough" }, "192.0.2.1");
    const graceCode = (await call(s.app, "GET", "/api/profiles/user/", { token: grace.tokens.accessToken })).body.referral_code;
    expect((await redeem(s, grace.tokens.accessToken, adaCode)).status).toBe(200);
    const again = await redeem(s, grace.tokens.accessToken, (await call(s.app, "GET", "/api/profiles/user/", { token: third.tokens.accessToken })).body.referral_code);
    expect([again.status, again.body.code]).toEqual([409, "referral_already_redeemed"]);
    const mutual = await redeem(s, s.token, graceCode);
    expect([mutual.status, mutual.body.code]).toEqual([409, "mutual_referral"]);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(100);
    expect(await s.ctx.services.xp.balance(grace.user.id)).toBe(100);
    expect(await s.ctx.services.xp.balance(third.user.id)).toBe(0);
  });

  test("ten redeems at once credit once", async () => {
    const { s, grace, adaCode } = await twoUsers();
    const results = await Promise.all(Array.from({ length: 10 }, () => redeem(s, grace.tokens.accessToken, adaCode)));
    expect(results.filter((r) => r.status === 200).length).toBe(1);
    expect(results.filter((r) => r.status === 409).length).toBe(9);
    expect(await s.ctx.services.xp.balance(grace.user.id)).toBe(100);
    expect(await s.ctx.services.xp.balance(s.userId)).toBe(100);
  });
});
