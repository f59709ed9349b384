import { first as firstRow } from "../../src/db/store.ts";
import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { identities, users } from "../../src/db/schema.ts";
import { FakeOAuthProvider } from "../fakes/oauth-server.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const CALLBACK = "http://localhost:5173/oauth/callback";

const fakes: FakeOAuthProvider[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

async function setup() {
  const github = await FakeOAuthProvider.start("github", new FakeClock());
  fakes.push(github);
  const s = await realServer({ env: { COC_OAUTH_REDIRECT_URIS: CALLBACK, ...github.env() } });
  const browser = s.from("203.0.113.5");
  /** Start (optionally linking, with a bearer token), approve at GitHub, post the callback. */
  const signIn = async (options: { startToken?: string; callbackToken?: string } = {}) => {
    const started = await browser.send("GET", `/api/auth/github/${options.startToken ? "?link=true" : ""}`, { token: options.startToken });
    expect(started.status).toBe(200);
    const { code, state } = await github.approve(started.body.url);
    return browser.send("POST", "/api/auth/github/callback/", { json: { code, state }, token: options.callbackToken });
  };
  return { ...s, github, browser, signIn };
}

describe("pre-registering someone's address", () => {
  test("does not hand the attacker the victim's later GitHub sign-in", async () => {
    const s = await setup();
    const attacker = s.from("198.51.100.66");
    const planted = await attacker.register("squatter", "victim@example.com", "the attacker's password");
    expect(planted.status).toBe(201);

    s.github.person = { id: "31337", login: "victim", email: "victim@example.com", emailVerified: true };
    const victim = await s.signIn();
    expect(victim.status).toBe(200);
    expect(victim.body).toMatchObject({ created: true, linked: false });
    expect(victim.body.user.id).not.toBe(planted.body.user.id);

    // The attacker's password opens only the attacker's own account, which GitHub never joined.
    const attackerLogin = await attacker.login("victim@example.com", "the attacker's password");
    expect(attackerLogin.body.user.id).toBe(planted.body.user.id);
    expect((await s.ctx.db.select().from(identities).where(eq(identities.userId, planted.body.user.id)))).toEqual([]);
    // The victim's next sign-in lands in the victim's account again.
    expect((await s.signIn()).body.user.id).toBe(victim.body.user.id);
  });
});

describe("explicit linking", () => {
  test("a signed-in user joins GitHub to their own account; later GitHub sign-ins land there", async () => {
    const s = await setup();
    const ada = await s.from("203.0.113.5").register("ada", "ada@example.com");
    s.github.person = { id: "4242", login: "ada-gh", email: "ada@example.com", emailVerified: true };
    const linked = await s.signIn({ startToken: ada.body.access_token, callbackToken: ada.body.access_token });
    expect(linked.status).toBe(200);
    expect(linked.body).toMatchObject({ created: false, linked: true });
    expect(linked.body.user.id).toBe(ada.body.user.id);
    // GitHub vouched for the address the account holds: it now counts as verified.
    expect(firstRow(await s.ctx.db.select().from(users).where(eq(users.id, ada.body.user.id)))!.emailVerified).toBe(true);
    const later = await s.signIn();
    expect(later.body).toMatchObject({ created: false, linked: false });
    expect(later.body.user.id).toBe(ada.body.user.id);
  });

  test("starting a link needs a valid bearer token", async () => {
    const s = await setup();
    const answer = await s.browser.send("GET", "/api/auth/github/?link=true");
    expect([answer.status, answer.body.code]).toEqual([401, "not_authenticated"]);
  });

  test("the state records who started it: a callback without that user's token is refused, and the state is spent", async () => {
    const s = await setup();
    const ada = await s.from("203.0.113.5").register("ada");
    const mallory = await s.from("198.51.100.66").register("mallory");
    s.github.person = { id: "777", login: "mallory-gh", email: null, emailVerified: false };
    for (const callbackToken of [mallory.body.access_token, undefined]) {
      const started = await s.browser.send("GET", "/api/auth/github/?link=true", { token: ada.body.access_token });
      const { code, state } = await s.github.approve(started.body.url);
      const refused = await s.browser.send("POST", "/api/auth/github/callback/", { json: { code, state }, token: callbackToken });
      expect([refused.status, refused.body.code]).toEqual([403, "link_not_yours"]);
      const replay = await s.browser.send("POST", "/api/auth/github/callback/", { json: { code, state }, token: ada.body.access_token });
      expect([replay.status, replay.body.code]).toEqual([400, "invalid_state"]);
    }
    expect((await s.ctx.db.select().from(identities))).toEqual([]);
  });

  test("an identity already joined to another account is a 409, and stays where it was", async () => {
    const s = await setup();
    s.github.person = { id: "555", login: "grace", email: null, emailVerified: false };
    const owner = await s.signIn();
    const ada = await s.from("203.0.113.5").register("ada");
    const conflict = await s.signIn({ startToken: ada.body.access_token, callbackToken: ada.body.access_token });
    expect([conflict.status, conflict.body.code]).toEqual([409, "identity_linked_elsewhere"]);
    expect(firstRow(await s.ctx.db.select().from(identities))!.userId).toBe(owner.body.user.id);
  });
});
