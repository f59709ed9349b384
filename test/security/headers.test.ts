import { afterEach, describe, expect, test } from "bun:test";
import { FakeOAuthProvider } from "../fakes/oauth-server.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const fakes: FakeOAuthProvider[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

describe("headers", () => {
  test("every answer that carries a token, or an OAuth state, says Cache-Control: no-store", async () => {
    const github = await FakeOAuthProvider.start("github", new FakeClock());
    fakes.push(github);
    const s = await realServer({ env: { COC_OAUTH_REDIRECT_URIS: "http://localhost:5173/cb", ...github.env() } });
    const me = s.from("203.0.113.10");
    const registered = await me.register("ada");
    const loggedIn = await me.login("ada", "correct horse battery");
    const refreshed = await me.send("POST", "/api/auth/refresh/", { json: { refresh_token: loggedIn.body.refresh_token } });
    const started = await me.send("GET", "/api/auth/github/");
    const { code, state } = await github.approve(started.body.url);
    const oauth = await me.send("POST", "/api/auth/github/callback/", { json: { code, state } });
    const profile = await me.send("GET", "/api/profiles/user/", { token: refreshed.body.access_token });
    for (const answer of [registered, loggedIn, refreshed, started, oauth, profile]) {
      expect(answer.status).toBeLessThan(300);
      expect(answer.headers.get("cache-control")).toBe("no-store");
    }
  });

  test("HSTS only when COC_PUBLIC_URL says clients come over https", async () => {
    const secure = await realServer({ env: { COC_PUBLIC_URL: "https://coc.example.com/" } });
    expect(secure.config.publicUrl).toBe("https://coc.example.com");
    const answer = await secure.from("203.0.113.10").send("GET", "/healthz");
    expect(answer.headers.get("strict-transport-security")).toBe("max-age=31536000");
    const plain = await realServer({ env: { COC_PUBLIC_URL: "http://localhost:8000" } });
    expect((await plain.from("203.0.113.10").send("GET", "/healthz")).headers.get("strict-transport-security")).toBeNull();
    expect((await (await realServer()).from("203.0.113.10").send("GET", "/healthz")).headers.get("strict-transport-security")).toBeNull();
  });

  test("a CORS preflight allows the Idempotency-Key header (freeze purchases send it)", async () => {
    const s = await realServer({ env: { COC_CORS_ORIGINS: "https://app.example.com" } });
    const preflight = await s.from("203.0.113.10").send("OPTIONS", "/api/rewards/streak-freezes/", {
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, idempotency-key" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")?.split(", ")).toContain("idempotency-key");
  });
});
