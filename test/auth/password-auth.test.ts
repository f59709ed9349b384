import { first as firstRow } from "../../src/db/store.ts";
import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "../../src/app.ts";
import { PasswordHasher } from "../../src/auth/password.ts";
import { profiles, users } from "../../src/db/schema.ts";
import { call, startTestServer } from "../support/http.ts";
import { createTestContext, query } from "../support/test-context.ts";

async function setup(options: Parameters<typeof createTestContext>[0] = {}) {
  const test = await createTestContext(options);
  return { ...test, app: createApp(test.ctx) };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const ada = { username: "Ada", email: "ada@example.com", password: "correct horse battery" };

function register(s: Setup, body: Record<string, unknown> = ada) {
  return call(s.app, "POST", "/api/auth/register/", { json: body });
}

function login(s: Setup, loginName: string, password: string) {
  return call(s.app, "POST", "/api/auth/login/", { json: { login: loginName, password } });
}

async function count(s: Setup): Promise<number> {
  return (await s.ctx.db.select().from(users)).length;
}

describe("POST /api/auth/register/", () => {
  test("201: the public profile and a token pair; the profile row exists", async () => {
    const s = await setup();
    const result = await register(s);
    expect(result.status).toBe(201);
    expect(result.body.user).toMatchObject({ username: "Ada", xp: 0, level: 1, role: "user", bio: "", links: {} });
    expect(result.body.user.email).toBeUndefined();
    expect(result.body).toMatchObject({ token_type: "Bearer", expires_in: 900 });
    expect((await s.ctx.services.auth.authenticate(result.body.access_token)).id).toBe(result.body.user.id);
    const profile = firstRow(await s.ctx.db.select().from(profiles).where(eq(profiles.userId, result.body.user.id)));
    expect(profile?.referralCode).toMatch(/^[0-9A-HJKMNP-TV-Z]{8}$/);
  });

  test("stores an argon2id hash, never the password", async () => {
    const s = await setup();
    await register(s);
    const stored = firstRow(await s.ctx.db.select().from(users))!;
    expect(stored.passwordHash).toStartWith("$argon2id$");
    expect(JSON.stringify(stored)).not.toContain(ada.password);
  });

  test("production cost is Bun's argon2id default (64 MiB, 2 passes)", async () => {
    expect(await new PasswordHasher().hash("whatever1")).toStartWith("$argon2id$v=19$m=65536,t=2,p=1$");
  });

  test.each([
    [{ ...ada, username: "ab" }, "/username"],
    [{ ...ada, username: "has space" }, "/username"],
    [{ ...ada, username: "x".repeat(31) }, "/username"],
    [{ ...ada, username: "émile" }, "/username"],
    [{ ...ada, email: "not-an-email" }, "/email"],
    [{ ...ada, password: "short" }, "/password"],
    [{ username: "Ada", password: ada.password }, "/email"],
    [{ ...ada, role: "admin" }, "/role"],
  ])("%p → 400 validation_failed at %s, nothing created", async (body, path) => {
    const s = await setup();
    const result = await register(s, body);
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("validation_failed");
    expect(result.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    expect(await count(s)).toBe(0);
  });

  test.each(["user", "users", "ADMIN", "me", "providers", "GitHub", "google", "discord"])("reserved name %s → 400", async (username) => {
    const s = await setup();
    const result = await register(s, { ...ada, username });
    expect(result.status).toBe(400);
    expect(result.body.errors[0]).toMatchObject({ path: "/username" });
    expect(await count(s)).toBe(0);
  });

  test("usernames and emails are unique ignoring case: 409, nothing created", async () => {
    const s = await setup();
    await register(s);
    const sameName = await register(s, { ...ada, username: "aDA", email: "other@example.com" });
    expect(sameName.status).toBe(409);
    expect(sameName.body.code).toBe("username_taken");
    const sameEmail = await register(s, { ...ada, username: "ada2", email: "ADA@Example.COM" });
    expect(sameEmail.status).toBe(409);
    expect(sameEmail.body.code).toBe("email_taken");
    expect(await count(s)).toBe(1);
  });

  test("twenty registrations of one name at once: exactly one wins", async () => {
    // All from one address here: allow them, to see the uniqueness rule alone.
    const s = await setup({ env: { COC_REGISTRATIONS_PER_ADDRESS: "100/1h" } });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => register(s, { username: `race${i % 2 === 0 ? "R" : "r"}`, email: `r${i}@example.com`, password: "long enough" })),
    );
    expect(results.filter((r) => r.status === 201).length).toBe(1);
    expect(results.filter((r) => r.status === 409).length).toBe(19);
    expect(await count(s)).toBe(1);
    expect((await s.ctx.db.select().from(profiles)).length).toBe(1);
  });
});

describe("POST /api/auth/login/", () => {
  test("by username or email, ignoring case", async () => {
    const s = await setup();
    const { body } = await register(s);
    for (const name of ["Ada", "ada", "ada@example.com", "ADA@EXAMPLE.COM", "  ada  "]) {
      const result = await login(s, name, ada.password);
      expect(result.status).toBe(200);
      expect(result.body.user.id).toBe(body.user.id);
      expect(result.body.refresh_token).not.toBe(body.refresh_token);
    }
  });

  test("an unknown login and a wrong password get the same 401, after the same work", async () => {
    const s = await setup();
    await register(s);
    const before = s.ctx.services.passwords.verifications;
    const wrong = await login(s, "ada", "wrong password");
    const afterWrong = s.ctx.services.passwords.verifications;
    const unknown = await login(s, "nobody", "wrong password");
    const afterUnknown = s.ctx.services.passwords.verifications;
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const { request_id: _a, ...wrongBody } = wrong.body;
    const { request_id: _b, ...unknownBody } = unknown.body;
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody.code).toBe("invalid_credentials");
    expect(afterWrong - before).toBe(1);
    expect(afterUnknown - afterWrong).toBe(1);
  });

  test("an OAuth-only account (no password) answers like a wrong password", async () => {
    const s = await setup();
    await s.ctx.services.users.create({ username: "oauthonly", email: "o@example.com" });
    const result = await login(s, "oauthonly", "anything at all");
    expect(result.status).toBe(401);
    expect(result.body.code).toBe("invalid_credentials");
  });

  test("after 10 failures for one login: 429 with Retry-After, even with the right password, until the window passes", async () => {
    const s = await setup();
    await register(s);
    for (let i = 0; i < 10; i++) expect((await login(s, "ada", `wrong ${i}`)).status).toBe(401);
    const locked = await login(s, "ADA", ada.password);
    expect(locked.status).toBe(429);
    expect(locked.body.code).toBe("too_many_attempts");
    expect(Number(locked.headers.get("retry-after"))).toBe(900);
    s.clock.advance(10 * 60_000);
    expect(Number((await login(s, "ada", ada.password)).headers.get("retry-after"))).toBe(300);
    s.clock.advance(5 * 60_000);
    expect((await login(s, "ada", ada.password)).status).toBe(200);
  });

  test("a success clears the login's failures", async () => {
    const s = await setup();
    await register(s);
    for (let i = 0; i < 9; i++) await login(s, "ada", "wrong");
    expect((await login(s, "ada", ada.password)).status).toBe(200);
    for (let i = 0; i < 9; i++) expect((await login(s, "ada", "wrong")).status).toBe(401);
    expect((await login(s, "ada", ada.password)).status).toBe(200);
  });

  test("failures from one address across many logins are throttled too", async () => {
    const s = await setup({ overrides: { loginThrottles: { perAccountAndAddress: { limit: 10, windowMs: 60_000 }, perAccount: { limit: 50, windowMs: 60_000 }, perAddress: { limit: 3, windowMs: 60_000 }, slowedIntervalMs: 5_000 } } });
    await register(s);
    for (const name of ["a1", "a2", "a3"]) expect((await login(s, name, "guess")).status).toBe(401);
    const blocked = await login(s, "ada", ada.password);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("retry-after")).toBe("60");
  });

  test("behind a trusted proxy, failures count per client, so one attacker cannot lock everyone out", async () => {
    const s = await setup({
      env: { COC_TRUSTED_PROXIES: "loopback" },
      overrides: { loginThrottles: { perAccountAndAddress: { limit: 10, windowMs: 60_000 }, perAccount: { limit: 50, windowMs: 60_000 }, perAddress: { limit: 3, windowMs: 60_000 }, slowedIntervalMs: 5_000 } },
    });
    await register(s);
    const server = await startTestServer(s.ctx, s.app);
    try {
      const attempt = (forwarded: string, loginName: string, password: string) =>
        fetch(`${server.base}/api/auth/login/`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": forwarded },
          body: JSON.stringify({ login: loginName, password }),
        });
      for (const name of ["a1", "a2", "a3"]) expect((await attempt("198.51.100.66", name, "guess")).status).toBe(401);
      expect((await attempt("198.51.100.66", "ada", ada.password)).status).toBe(429);
      expect((await attempt("203.0.113.10", "ada", ada.password)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  test("an attacker failing one login from one address does not lock its owner out elsewhere; many addresses together slow it down", async () => {
    const s = await setup({ env: { COC_TRUSTED_PROXIES: "loopback" } });
    await register(s);
    const server = await startTestServer(s.ctx, s.app);
    try {
      const attempt = (forwarded: string, password: string) =>
        fetch(`${server.base}/api/auth/login/`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-forwarded-for": forwarded },
          body: JSON.stringify({ login: "ada", password }),
        });
      for (let i = 0; i < 10; i++) expect((await attempt("198.51.100.66", "guess")).status).toBe(401);
      expect((await attempt("198.51.100.66", ada.password)).status).toBe(429);
      expect((await attempt("203.0.113.10", ada.password)).status).toBe(200);
      // Spread over many addresses, 50 failures slow the account: one attempt per 5 s from the
      // addresses that failed on it, and a lane of its own for those that did not (the owner's).
      for (let i = 0; i < 40; i++) expect((await attempt(`192.0.2.${i + 1}`, "guess")).status).toBe(401);
      expect((await attempt("192.0.2.1", "guess")).status).toBe(401);
      const slowed = await attempt("192.0.2.2", "guess");
      expect(slowed.status).toBe(429);
      expect(slowed.headers.get("retry-after")).toBe("5");
      expect((await attempt("203.0.113.99", ada.password)).status).toBe(200);
    } finally {
      await server.stop();
    }
  });

  test("a disabled account is refused with 403", async () => {
    const s = await setup();
    await register(s);
    await s.ctx.db.update(users).set({ disabled: true });
    const result = await login(s, "ada", ada.password);
    expect(result.status).toBe(403);
    expect(result.body.code).toBe("account_disabled");
  });
});

describe("refresh tokens", () => {
  test("refresh rotates: a new pair, and the old refresh token stops working", async () => {
    const s = await setup();
    const { body } = await register(s);
    const rotated = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } });
    expect(rotated.status).toBe(200);
    expect(Object.keys(rotated.body).sort()).toEqual(["access_token", "expires_in", "refresh_token", "token_type", "user"]);
    expect(rotated.body.refresh_token).not.toBe(body.refresh_token);
    expect((await s.ctx.services.auth.authenticate(rotated.body.access_token)).username).toBe("Ada");
    const next = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: rotated.body.refresh_token } });
    expect(next.status).toBe(200);
  });

  test("a reused refresh token revokes its whole family, and only that family", async () => {
    const s = await setup();
    const first = (await register(s)).body;
    const otherDevice = (await login(s, "ada", ada.password)).body;
    const rotated = (await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: first.refresh_token } })).body;

    const reuse = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: first.refresh_token } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.code).toBe("refresh_token_reused");
    const thief = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: rotated.refresh_token } });
    expect(thief.status).toBe(401);
    expect(thief.body.code).toBe("refresh_token_revoked");
    expect((await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: otherDevice.refresh_token } })).status).toBe(200);
  });

  test("the same refresh token presented twice at once: one rotation wins, the family is revoked", async () => {
    const s = await setup();
    const { body } = await register(s);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } })),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners.length).toBe(1);
    expect(results.filter((r) => r.status === 401).length).toBe(4);
    const after = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: winners[0]!.body.refresh_token } });
    expect(after.status).toBe(401);
  });

  test("refresh tokens expire after COC_REFRESH_TTL", async () => {
    const s = await setup({ env: { COC_REFRESH_TTL: "7d" } });
    const { body } = await register(s);
    s.clock.advance(7 * 86_400_000);
    const result = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } });
    expect(result.status).toBe(401);
    expect(result.body.code).toBe("refresh_token_expired");
  });

  test("unknown and malformed refresh tokens: 401 / 400", async () => {
    const s = await setup();
    expect((await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: "made-up" } })).body.code).toBe("invalid_refresh_token");
    expect((await call(s.app, "POST", "/api/auth/refresh/", { json: {} })).status).toBe(400);
  });

  test("logout revokes the family (204); logging out again or with an unknown token is 204 too", async () => {
    const s = await setup();
    const { body } = await register(s);
    const rotated = (await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } })).body;
    const out = await call(s.app, "POST", "/api/auth/logout/", { json: { refresh_token: rotated.refresh_token } });
    expect(out.status).toBe(204);
    expect(out.text).toBe("");
    expect((await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: rotated.refresh_token } })).body.code).toBe("refresh_token_revoked");
    expect((await call(s.app, "POST", "/api/auth/logout/", { json: { refresh_token: rotated.refresh_token } })).status).toBe(204);
    expect((await call(s.app, "POST", "/api/auth/logout/", { json: { refresh_token: "never-issued" } })).status).toBe(204);
  });

  test("a disabled user's refresh is refused and the family revoked", async () => {
    const s = await setup();
    const { body } = await register(s);
    await s.ctx.db.update(users).set({ disabled: true });
    const refused = await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe("account_disabled");
    await s.ctx.db.update(users).set({ disabled: false });
    expect((await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } })).status).toBe(401);
  });

  test("only a hash of each refresh token is stored", async () => {
    const s = await setup();
    const { body } = await register(s);
    const dump = JSON.stringify(await query(s.ctx, "SELECT * FROM refresh_tokens"));
    expect(dump).not.toContain(body.refresh_token);
    expect(dump).toContain(new Bun.CryptoHasher("sha256").update(body.refresh_token).digest("hex"));
  });
});

describe("secrets stay out of logs and answers", () => {
  test("passwords and tokens never reach a log line", async () => {
    const s = await setup();
    const { body } = await register(s);
    await login(s, "ada", "wrong-password-xyz");
    await call(s.app, "POST", "/api/auth/refresh/", { json: { refresh_token: body.refresh_token } });
    await new Promise((resolve) => setImmediate(resolve));
    const all = s.rawLogs.join("");
    for (const secret of [ada.password, "wrong-password-xyz", body.refresh_token, body.access_token]) expect(all).not.toContain(secret);
    expect(all).toContain('"msg":"user registered"');
  });
});
