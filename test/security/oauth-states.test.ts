import { afterEach, describe, expect, test } from "bun:test";
import { oauthStates } from "../../src/db/schema.ts";
import { FakeOAuthProvider } from "../fakes/oauth-server.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const CALLBACK = "http://localhost:5173/oauth/callback";
const fakes: FakeOAuthProvider[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

async function setup(env: Record<string, string> = {}, maxPendingSignIns?: number) {
  const github = await FakeOAuthProvider.start("github", new FakeClock());
  fakes.push(github);
  const s = await realServer({ env: { COC_OAUTH_REDIRECT_URIS: CALLBACK, ...github.env(), ...env }, overrides: { maxPendingSignIns } });
  const pending = async () => (await s.ctx.db.select().from(oauthStates)).length;
  return { ...s, github, pending };
}

describe("starting OAuth sign-ins", () => {
  test("is throttled per client address", async () => {
    const s = await setup({ COC_OAUTH_STARTS_PER_ADDRESS: "5/10m" });
    const flooder = s.from("198.51.100.66");
    for (let i = 0; i < 5; i++) expect((await flooder.send("GET", "/api/auth/github/")).status).toBe(200);
    const refused = await flooder.send("GET", "/api/auth/github/");
    expect([refused.status, refused.body.code, refused.headers.get("retry-after")]).toEqual([429, "too_many_sign_ins", "600"]);
    expect(await s.pending()).toBe(5);
    expect((await s.from("203.0.113.7").send("GET", "/api/auth/github/")).status).toBe(200);
  });

  test("a flood from many addresses keeps the table bounded, and the newest sign-in still finishes", async () => {
    const s = await setup({}, 50);
    for (let i = 0; i < 300; i++) await s.from(`10.0.${i >> 8}.${i & 255}`).send("GET", "/api/auth/github/");
    expect(await s.pending()).toBe(50);
    const honest = await s.from("203.0.113.7").send("GET", "/api/auth/github/");
    const { code, state } = await s.github.approve(honest.body.url);
    const finished = await s.from("203.0.113.7").send("POST", "/api/auth/github/callback/", { json: { code, state } });
    expect(finished.status).toBe(200);
    expect(await s.pending()).toBeLessThanOrEqual(50);
  });

  test("expired states are purged by the server's periodic sweep, with no sign-in needed to trigger it", async () => {
    const s = await setup();
    for (let i = 0; i < 20; i++) await s.from(`10.1.0.${i}`).send("GET", "/api/auth/github/");
    s.clock.advance(5 * 60_000);
    await s.server.running.sweep();
    expect(await s.pending()).toBe(20);
    s.clock.advance(5 * 60_000);
    await s.server.running.sweep();
    expect(await s.pending()).toBe(0);
  });
});
