import { first as firstRow } from "../../src/db/store.ts";
import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { createApp } from "../../src/app.ts";
import { identities, users } from "../../src/db/schema.ts";
import { type FakeFailure, type FakeKind, FakeOAuthProvider } from "../fakes/oauth-server.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { call } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

const FRONTEND = "http://localhost:5173/oauth/callback";
const OTHER_FRONTEND = "https://app.example.com/oauth/callback";

const fakes: FakeOAuthProvider[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

async function setup(kinds: FakeKind[], env: Record<string, string> = {}) {
  const clock = new FakeClock("2026-03-01T12:00:00Z");
  // The providers keep their own time, so a test can skew one against the other.
  const providerClock = new FakeClock("2026-03-01T12:00:00Z");
  const started = await Promise.all(kinds.map((kind) => FakeOAuthProvider.start(kind, providerClock)));
  fakes.push(...started);
  const fakeEnv = Object.assign({}, ...started.map((fake) => fake.env()));
  const test = await createTestContext({
    clock,
    env: { COC_OAUTH_REDIRECT_URIS: `${FRONTEND},${OTHER_FRONTEND}`, ...fakeEnv, ...env },
    overrides: { providerTimeoutMs: 300 },
  });
  const app = createApp(test.ctx);
  const byKind = Object.fromEntries(started.map((fake) => [fake.kind, fake])) as Record<FakeKind, FakeOAuthProvider>;
  return { ...test, app, clock, providerClock, fakes: byKind };
}

type Setup = Awaited<ReturnType<typeof setup>>;

async function start(s: Setup, kind: FakeKind, query = "") {
  const result = await call(s.app, "GET", `/api/auth/${kind}/${query}`);
  expect(result.status).toBe(200);
  return result.body as { url: string; state: string };
}

/** The whole dance: start, the person approves at the provider, the frontend posts the callback. */
async function signIn(s: Setup, kind: FakeKind) {
  const { url } = await start(s, kind);
  const { code, state } = await s.fakes[kind].approve(url);
  return call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code, state } });
}

async function userCount(s: Setup): Promise<number> {
  return (await s.ctx.db.select().from(users)).length;
}

describe.each(["github", "google", "discord"] as FakeKind[])("OAuth with %s", (kind) => {
  test("the start URL carries state, a PKCE S256 challenge and the redirect URI", async () => {
    const s = await setup([kind]);
    const { url, state } = await start(s, kind);
    const params = new URL(url).searchParams;
    expect(url.startsWith(s.fakes[kind].base)).toBe(true);
    expect(params.get("state")).toBe(state);
    expect(params.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get("code_challenge_method")).toBe("S256");
    expect(params.get("redirect_uri")).toBe(FRONTEND);
    expect(params.get("client_id")).toBe("fake-client-id");
    expect(params.has("nonce")).toBe(kind === "google");
    expect(state.length).toBeGreaterThanOrEqual(32);
  });

  test("first sign-in creates the user with its profile; the next one finds it", async () => {
    const s = await setup([kind]);
    s.fakes[kind].person = { id: "777", login: "grace", email: "grace@example.com", emailVerified: true, avatarUrl: "https://avatars.example/grace.png" };
    const first = await signIn(s, kind);
    expect(first.status).toBe(200);
    expect(first.body.created).toBe(true);
    expect(first.body.user).toMatchObject({ username: "grace", xp: 0, level: 1 });
    expect(first.body.user.avatar_url).toBeTruthy();
    expect(first.body.user.email).toBeUndefined();
    expect(await s.ctx.services.auth.authenticate(first.body.access_token)).toMatchObject({ id: first.body.user.id, username: "grace" });
    expect((await s.ctx.services.tokens.refresh(first.body.refresh_token)).accessToken).toBeTruthy();
    const stored = firstRow(await s.ctx.db.select().from(users).where(eq(users.id, first.body.user.id)))!;
    expect(stored.email).toBe("grace@example.com");
    expect(stored.emailVerified).toBe(true);
    expect(stored.passwordHash).toBeNull();

    const again = await signIn(s, kind);
    expect(again.status).toBe(200);
    expect(again.body.created).toBe(false);
    expect(again.body.user.id).toBe(first.body.user.id);
    expect(await userCount(s)).toBe(1);
  });

  test("a state works once: replaying the callback is 400 invalid_state", async () => {
    const s = await setup([kind]);
    const { url } = await start(s, kind);
    const { code, state } = await s.fakes[kind].approve(url);
    expect((await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code, state } })).status).toBe(200);
    const replay = await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code, state } });
    expect(replay.status).toBe(400);
    expect(replay.body.code).toBe("invalid_state");
  });

  test("an expired state is refused before the provider is asked anything", async () => {
    const s = await setup([kind]);
    const { url } = await start(s, kind);
    const { code, state } = await s.fakes[kind].approve(url);
    s.clock.advance(10 * 60_000 + 1);
    const hitsBefore = s.fakes[kind].hits.length;
    const result = await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code, state } });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("invalid_state");
    expect(s.fakes[kind].hits.length).toBe(hitsBefore);
    expect(await userCount(s)).toBe(0);
  });

  test("a forged state is 400 invalid_state", async () => {
    const s = await setup([kind]);
    const { url } = await start(s, kind);
    const { code } = await s.fakes[kind].approve(url);
    const result = await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code, state: "forged-state-0123456789abcdef" } });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("invalid_state");
    expect(await userCount(s)).toBe(0);
  });

  test("the PKCE verifier is checked: a code paired with another sign-in's state is refused", async () => {
    const s = await setup([kind]);
    const first = await start(s, kind);
    const second = await start(s, kind);
    const { code } = await s.fakes[kind].approve(first.url);
    const result = await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code, state: second.state } });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("invalid_code");
    expect(await userCount(s)).toBe(0);
  });

  test("a code the provider does not know is 400 invalid_code", async () => {
    const s = await setup([kind]);
    const { state } = await start(s, kind);
    const result = await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code: "not-a-code", state } });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("invalid_code");
  });

  const failures: [FakeFailure, string][] = [
    ["token_500", "provider_error"],
    ["token_hang", "provider_timeout"],
  ];
  if (kind !== "google") failures.push(["profile_500", "provider_error"]);
  test.each(failures)("provider failure %s → 502 %s, nothing created", async (failure, code) => {
    const s = await setup([kind]);
    const { url } = await start(s, kind);
    const approved = await s.fakes[kind].approve(url);
    s.fakes[kind].failure = failure;
    const result = await call(s.app, "POST", `/api/auth/${kind}/callback/`, { json: { code: approved.code, state: approved.state } });
    expect(result.status).toBe(502);
    expect(result.body.code).toBe(code);
    expect(result.headers.get("content-type")).toBe("application/problem+json");
    expect(await userCount(s)).toBe(0);
    expect((await s.ctx.db.select().from(identities))).toEqual([]);
  });

  test("an unverified provider email never links to the account that has it", async () => {
    const s = await setup([kind]);
    const owner = await s.ctx.services.auth.register({ username: "victim", email: "victim@example.com", password: "long enough" }, "192.0.2.1");
    s.fakes[kind].person = { id: "666", login: "mallory", email: "Victim@Example.com", emailVerified: false };
    const result = await signIn(s, kind);
    expect(result.status).toBe(200);
    expect(result.body.created).toBe(true);
    expect(result.body.user.id).not.toBe(owner.user.id);
    const created = firstRow(await s.ctx.db.select().from(users).where(eq(users.id, result.body.user.id)))!;
    expect(created.email).toBeNull();
    const links = (await s.ctx.db.select().from(identities).where(eq(identities.userId, owner.user.id)));
    expect(links).toEqual([]);
  });

  test("a verified provider email joins the account whose address was verified too (ignoring case)", async () => {
    const s = await setup([kind]);
    // As an earlier sign-in with another provider that verified the address leaves it.
    const owner = await s.ctx.services.users.create({ username: "ada", email: "ada@example.com", emailVerified: true });
    s.fakes[kind].person = { id: "4242", login: "ada-codes", email: "ADA@example.com", emailVerified: true };
    const result = await signIn(s, kind);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ created: false, linked: true });
    expect(result.body.user.id).toBe(owner.id);
    expect(result.body.user.username).toBe("ada");
    const link = firstRow(await s.ctx.db.select().from(identities).where(eq(identities.userId, owner.id)))!;
    expect(link).toMatchObject({ provider: kind, providerUserId: "4242", emailVerified: true });
    const again = await signIn(s, kind);
    expect(again.body).toMatchObject({ created: false, linked: false });
    expect(again.body.user.id).toBe(owner.id);
    expect(await userCount(s)).toBe(1);
  });

  test("a password account holding the address is never joined: the provider's person gets an account of their own", async () => {
    const s = await setup([kind]);
    const squatter = await s.ctx.services.auth.register({ username: "squatter", email: "victim@example.com", password: "attacker knows this" }, "192.0.2.1");
    s.fakes[kind].person = { id: "9001", login: "victim", email: "Victim@Example.com", emailVerified: true };
    const result = await signIn(s, kind);
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ created: true, linked: false });
    expect(result.body.user.id).not.toBe(squatter.user.id);
    expect((await s.ctx.db.select().from(identities).where(eq(identities.userId, squatter.user.id)))).toEqual([]);
    // The address stays with the identity only (another account holds it, unverified).
    expect(firstRow(await s.ctx.db.select().from(users).where(eq(users.id, result.body.user.id)))!.email).toBeNull();
  });
});

describe("OAuth, beyond one provider", () => {
  test("usernames from providers are made valid and de-duplicated", async () => {
    const s = await setup(["github"]);
    await s.ctx.services.auth.register({ username: "octocat", email: "o@example.com", password: "long enough" }, "192.0.2.1");
    s.fakes.github.person = { id: "1", login: "octocat", email: null, emailVerified: false };
    expect((await signIn(s, "github")).body.user.username).toBe("octocat-2");
    s.fakes.github.person = { id: "2", login: "octocat", email: null, emailVerified: false };
    expect((await signIn(s, "github")).body.user.username).toBe("octocat-3");
    s.fakes.github.person = { id: "3", login: "José Ñ.", email: null, emailVerified: false };
    expect((await signIn(s, "github")).body.user.username).toBe("Jose-N");
    s.fakes.github.person = { id: "4", login: "admin", email: null, emailVerified: false };
    expect((await signIn(s, "github")).body.user.username).toBe("admin-1");
  });

  test("GitHub's verified secondary address is not used when the primary is unverified", async () => {
    const s = await setup(["github"]);
    await s.ctx.services.auth.register({ username: "owner", email: "octocat@users.noreply.github.com", password: "long enough" }, "192.0.2.1");
    s.fakes.github.person = { id: "5", login: "octocat", email: "primary@example.com", emailVerified: false };
    const result = await signIn(s, "github");
    expect(result.body.created).toBe(true);
  });

  test("a state started for one provider does not finish another", async () => {
    const s = await setup(["github", "discord"]);
    const { url } = await start(s, "github");
    const { code, state } = await s.fakes.github.approve(url);
    const result = await call(s.app, "POST", "/api/auth/discord/callback/", { json: { code, state } });
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("invalid_state");
  });

  test("a disabled account cannot sign in with a provider", async () => {
    const s = await setup(["discord"]);
    const first = await signIn(s, "discord");
    await s.ctx.db.update(users).set({ disabled: true }).where(eq(users.id, first.body.user.id));
    const again = await signIn(s, "discord");
    expect(again.status).toBe(403);
    expect(again.body.code).toBe("account_disabled");
    expect(again.body.access_token).toBeUndefined();
  });

  test("two callbacks for the same new person at once make one user", async () => {
    const s = await setup(["github"]);
    const a = await start(s, "github");
    const b = await start(s, "github");
    const codeA = await s.fakes.github.approve(a.url);
    const codeB = await s.fakes.github.approve(b.url);
    const [ra, rb] = await Promise.all([
      call(s.app, "POST", "/api/auth/github/callback/", { json: { code: codeA.code, state: codeA.state } }),
      call(s.app, "POST", "/api/auth/github/callback/", { json: { code: codeB.code, state: codeB.state } }),
    ]);
    expect([ra.status, rb.status]).toEqual([200, 200]);
    expect(ra.body.user.id).toBe(rb.body.user.id);
    expect([ra.body.created, rb.body.created].sort()).toEqual([false, true]);
    expect(await userCount(s)).toBe(1);
  });

  test("redirect_uri must be on the allow-list; the first allowed one is the default", async () => {
    const s = await setup(["github"]);
    const chosen = await start(s, "github", `?redirect_uri=${encodeURIComponent(OTHER_FRONTEND)}`);
    expect(new URL(chosen.url).searchParams.get("redirect_uri")).toBe(OTHER_FRONTEND);
    const { redirect } = await s.fakes.github.approve(chosen.url);
    expect(redirect.origin + redirect.pathname).toBe(OTHER_FRONTEND);

    const refused = await call(s.app, "GET", `/api/auth/github/?redirect_uri=${encodeURIComponent("https://evil.example/cb")}`);
    expect(refused.status).toBe(400);
    expect(refused.body.code).toBe("redirect_uri_not_allowed");
  });

  test("{provider} in an allowed redirect URI stands for the provider; an entry naming another provider does not fit", async () => {
    const s = await setup(["github", "discord"], {
      COC_OAUTH_REDIRECT_URIS: "https://app.example.com/auth/google/callback,https://app.example.com/auth/{provider}/callback",
    });
    const github = await start(s, "github");
    expect(new URL(github.url).searchParams.get("redirect_uri")).toBe("https://app.example.com/auth/github/callback");
    const explicit = await start(s, "discord", `?redirect_uri=${encodeURIComponent("https://app.example.com/auth/discord/callback")}`);
    expect(new URL(explicit.url).searchParams.get("redirect_uri")).toBe("https://app.example.com/auth/discord/callback");
    const foreign = await call(s.app, "GET", `/api/auth/github/?redirect_uri=${encodeURIComponent("https://app.example.com/auth/google/callback")}`);
    expect(foreign.body.code).toBe("redirect_uri_not_allowed");
  });

  test("without any allowed redirect URI, starting asks for one", async () => {
    const s = await setup(["github"], { COC_OAUTH_REDIRECT_URIS: "" });
    const result = await call(s.app, "GET", "/api/auth/github/");
    expect(result.status).toBe(400);
    expect(result.body.code).toBe("redirect_uri_required");
  });

  test("providers without credentials are off: 404 provider_not_configured, and not listed", async () => {
    const s = await setup(["google"]);
    const list = await call(s.app, "GET", "/api/auth/providers/");
    expect(list.body).toEqual({ items: [{ name: "google", label: "Google", start_url: "/api/auth/google/" }], next_cursor: null });
    for (const path of ["/api/auth/github/", "/api/auth/discord/"]) {
      const result = await call(s.app, "GET", path);
      expect(result.status).toBe(404);
      expect(result.body.code).toBe("provider_not_configured");
    }
    expect((await call(s.app, "POST", "/api/auth/github/callback/", { json: { code: "c", state: "s" } })).body.code).toBe("provider_not_configured");
    expect((await call(s.app, "GET", "/api/auth/myspace/")).body.code).toBe("unknown_provider");
  });
});

describe("Google's ID token", () => {
  test.each([
    ["id_token_wrong_key", "a signature by a key not in the issuer's JWKS"],
    ["id_token_wrong_nonce", "another sign-in's nonce"],
    ["id_token_wrong_audience", "another client's audience"],
  ] as const)("%s (%s) → 502, nothing created", async (failure) => {
    const s = await setup(["google"]);
    const { url } = await start(s, "google");
    const approved = await s.fakes.google.approve(url);
    s.fakes.google.failure = failure;
    const result = await call(s.app, "POST", "/api/auth/google/callback/", { json: { code: approved.code, state: approved.state } });
    expect(result.status).toBe(502);
    expect(result.body.code).toBe("provider_error");
    expect(await userCount(s)).toBe(0);
  });

  test("discovery failing makes start 502, and a later start retries discovery", async () => {
    const s = await setup(["google"]);
    s.fakes.google.failure = "discovery_500";
    const failed = await call(s.app, "GET", "/api/auth/google/");
    expect(failed.status).toBe(502);
    s.fakes.google.failure = null;
    expect((await call(s.app, "GET", "/api/auth/google/")).status).toBe(200);
  });

  test("an ID token already expired by the server's clock is refused; one just issued is accepted", async () => {
    const s = await setup(["google"]);
    s.providerClock.advance(-2 * 3600_000);
    const { url } = await start(s, "google");
    const approved = await s.fakes.google.approve(url);
    const stale = await call(s.app, "POST", "/api/auth/google/callback/", { json: { code: approved.code, state: approved.state } });
    expect(stale.status).toBe(502);
    expect(await userCount(s)).toBe(0);

    // Both clocks far from the real date, but agreeing: accepted (the server's clock is the one used).
    s.providerClock.set(s.clock.now());
    expect((await signIn(s, "google")).status).toBe(200);
  });
});
