import { describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "../../src/app.ts";
import { signJwt } from "../../src/auth/jwt.ts";
import { users } from "../../src/db/schema.ts";
import { authGuard, upgradeHeaders } from "../../src/http/auth-guard.ts";
import { call, startTestServer } from "../support/http.ts";
import { createTestContext, TEST_JWT_SECRET } from "../support/test-context.ts";

async function setup() {
  const test = await createTestContext();
  const app = createApp(test.ctx)
    .use(authGuard((token) => test.ctx.services.auth.authenticate(token)))
    .get("/test/me/", ({ caller }) => caller, { auth: true })
    .get("/test/admin/", ({ caller }) => ({ admin: caller.username }), { auth: "admin" })
    .ws("/test/ws/", {
      auth: true,
      upgrade: ({ request }) => upgradeHeaders(request),
      open(ws) {
        ws.send(JSON.stringify({ hello: ws.data.caller.username }));
      },
    });
  const session = await test.ctx.services.auth.register({ username: "ada", email: "ada@example.com", password: "long enough" }, "192.0.2.1");
  return { ...test, app, session, token: session.tokens.accessToken };
}

const nowSeconds = (s: Awaited<ReturnType<typeof setup>>) => Math.floor(s.clock.now().getTime() / 1000);

describe("the auth guard", () => {
  test("a valid bearer token resolves the caller", async () => {
    const s = await setup();
    const result = await call(s.app, "GET", "/test/me/", { token: s.token });
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ id: s.session.user.id, username: "ada", role: "user", session: expect.any(String), expiresAt: expect.any(String) });
    expect((await call(s.app, "GET", "/test/me/", { headers: { authorization: `bearer   ${s.token}` } })).status).toBe(200);
  });

  test.each([
    ["no header", {}, "not_authenticated"],
    ["another scheme", { authorization: "Basic YWRhOnB3" }, "not_authenticated"],
    ["garbage", { authorization: "Bearer not.a.jwt" }, "invalid_token"],
  ])("%s → 401 %s", async (_, headers, code) => {
    const s = await setup();
    const result = await call(s.app, "GET", "/test/me/", { headers });
    expect(result.status).toBe(401);
    expect(result.body.code).toBe(code);
  });

  test("an access token expires after COC_ACCESS_TTL (15 min)", async () => {
    const s = await setup();
    s.clock.advance(15 * 60_000 - 1000);
    expect((await call(s.app, "GET", "/test/me/", { token: s.token })).status).toBe(200);
    s.clock.advance(1000);
    const expired = await call(s.app, "GET", "/test/me/", { token: s.token });
    expect(expired.status).toBe(401);
    expect(expired.body.code).toBe("token_expired");
  });

  test("forged tokens are refused: another secret, alg none, a changed payload", async () => {
    const s = await setup();
    const claims = { sub: String(s.session.user.id), role: "admin" as const, iat: nowSeconds(s), exp: nowSeconds(s) + 600 };
    const otherSecret = signJwt(claims, "another-secret-that-is-long-enough-to-pass");
    const [header, payload] = s.token.split(".");
    const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
    const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s.token.split(".")[2]}`;
    for (const token of [otherSecret, none, tampered, `${header}.${payload}.`]) {
      const result = await call(s.app, "GET", "/test/admin/", { token });
      expect(result.status).toBe(401);
      expect(result.body.code).toBe("invalid_token");
    }
  });

  test("a disabled user's existing access token is refused on its next use", async () => {
    const s = await setup();
    await s.ctx.db.update(users).set({ disabled: true }).where(eq(users.id, s.session.user.id));
    const result = await call(s.app, "GET", "/test/me/", { token: s.token });
    expect(result.status).toBe(403);
    expect(result.body.code).toBe("account_disabled");
  });

  test("a token of a deleted user is refused", async () => {
    const s = await setup();
    await s.ctx.db.delete(users).where(eq(users.id, s.session.user.id));
    expect((await call(s.app, "GET", "/test/me/", { token: s.token })).body.code).toBe("invalid_token");
  });

  test("admin routes: 403 for users; the role is read from the database, not trusted from the token", async () => {
    const s = await setup();
    const denied = await call(s.app, "GET", "/test/admin/", { token: s.token });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe("admin_only");

    await s.ctx.db.update(users).set({ role: "admin" });
    expect((await call(s.app, "GET", "/test/admin/", { token: s.token })).body).toEqual({ admin: "ada" });

    // A token minted while admin loses its power the moment the role is taken away.
    const adminToken = signJwt({ sub: String(s.session.user.id), role: "admin", iat: nowSeconds(s), exp: nowSeconds(s) + 600 }, TEST_JWT_SECRET);
    await s.ctx.db.update(users).set({ role: "user" });
    expect((await call(s.app, "GET", "/test/admin/", { token: adminToken })).status).toBe(403);
  });

  test("guarded routes are documented with bearer security", async () => {
    const s = await setup();
    const spec = (await call(s.app, "GET", "/swagger/json")).body;
    expect(spec.paths["/test/me/"].get.security).toEqual([{ bearer: [] }]);
    expect(spec.paths["/api/auth/login/"].post.security).toEqual([]);
  });
});

describe("the auth guard on a WebSocket upgrade", () => {
  function connect(url: string, protocols?: string[]) {
    return new Promise<{ message?: string; protocol: string; code?: number }>((resolve) => {
      const socket = new WebSocket(url, protocols);
      socket.addEventListener("message", (event) => {
        resolve({ message: String(event.data), protocol: socket.protocol });
        socket.close();
      });
      socket.addEventListener("close", (event) => resolve({ protocol: socket.protocol, code: event.code }));
    });
  }

  test("accepts ?token= and the bearer subprotocol, and refuses before upgrading otherwise", async () => {
    const s = await setup();
    const server = await startTestServer(s.ctx, s.app);
    try {
      expect(await connect(`${server.wsBase}/test/ws/?token=${s.token}`)).toEqual({ message: '{"hello":"ada"}', protocol: "" });
      expect(await connect(`${server.wsBase}/test/ws/`, ["bearer", s.token])).toEqual({ message: '{"hello":"ada"}', protocol: "bearer" });
      expect((await connect(`${server.wsBase}/test/ws/?token=forged`)).message).toBeUndefined();

      const upgrade = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };
      const refused = await fetch(`${server.base}/test/ws/?token=forged`, { headers: upgrade });
      expect(refused.status).toBe(401);
      expect(refused.headers.get("content-type")).toBe("application/problem+json");
      expect(((await refused.json()) as { code: string }).code).toBe("invalid_token");
      const anonymous = await fetch(`${server.base}/test/ws/`, { headers: upgrade });
      expect(anonymous.status).toBe(401);
    } finally {
      await server.stop();
    }
  });

  test("?token= is not accepted on ordinary requests", async () => {
    const s = await setup();
    const result = await call(s.app, "GET", `/test/me/?token=${s.token}`);
    expect(result.status).toBe(401);
    expect(result.body.code).toBe("not_authenticated");
  });
});
