import { queryOne } from "../support/test-context.ts";
import { describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { FakeOAuthProvider } from "../fakes/oauth-server.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { afterThisTest, cleanUpAfterEach, originalSetup } from "./support.ts";

cleanUpAfterEach();

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);

describe("errors, as the original web client shows them", () => {
  test("every problem carries `error`, equal to `detail`: the toast shows the server's words", async () => {
    const s = await originalSetup();
    const tab = s.browser();
    const wrong = await tab.call("POST", "/api/auth/login/", { login: "nobody", password: "wrong password" });
    expect(wrong.status).toBe(401);
    expect(wrong.data.error).toBe(wrong.data.detail);
    expect(tab.toast).toBe("Wrong login or password");
    const invalid = await tab.call("POST", "/api/auth/register/", { username: "x", email: "nope", password: "short" });
    expect([invalid.status, invalid.data.error]).toEqual([400, invalid.data.detail]);
  });

  test("a blocked account is recognised by the exact text `User account is disabled.`, at login and on a live token", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    await s.ctx.services.users.setDisabled(ada.userId, true);
    const use = await ada.raw("GET", "/api/profiles/user/");
    expect([use.status, use.data.error]).toEqual([403, "User account is disabled."]);
    const login = await s.browser().call("POST", "/api/auth/login/", { login: "ada", password: "correct horse battery" });
    expect([login.status, login.data.error, login.data.detail]).toEqual([403, "User account is disabled.", "User account is disabled."]);
  });
});

describe("OAuth the original way: a popup, and only {code} posted back", () => {
  async function withGithub() {
    const github = await FakeOAuthProvider.start("github", new FakeClock());
    afterThisTest(() => github.stop());
    // The web app's callback page, listed once for every provider (coc serves the app on its own origin).
    const s = await originalSetup({ env: { ...github.env(), COC_OAUTH_REDIRECT_URIS: "http://localhost:8000/auth/{provider}/callback" } });
    return { ...s, github };
  }

  test("start with no query, the provider sends the popup to /auth/github/callback, the page posts {code}; the state comes from the cookie", async () => {
    const s = await withGithub();
    const { github } = s;
    const tab = s.browser();
    github.person = { id: "9001", login: "grace", email: "grace@example.com", emailVerified: true };

    const started = await tab.call("GET", "/api/auth/github/");
    expect(started.status).toBe(200);
    const popup = await github.approve(started.data.url);
    expect(popup.redirect.pathname).toBe("/auth/github/callback");
    expect(tab.cookies.has("coc_oauth_github")).toBe(true);
    // The page reads only `code` from its URL and posts it.
    const finished = await tab.call("POST", "/api/auth/github/callback/", { code: popup.code });
    expect(finished.status).toBe(200);
    expect(typeof finished.data.access_token).toBe("string");
    expect(typeof finished.data.refresh_token).toBe("string");
    expect(finished.data.user).toMatchObject({ username: "grace", is_staff: false, is_superuser: false, profile: { provider: "github" } });
    expect(tab.cookies.has("coc_oauth_github")).toBe(false);
    tab.signedIn(finished.data);
    expect((await tab.start()).data.username).toBe("grace");

    // Single use: the same code again, or a tab that never started a sign-in, is refused.
    const replay = await tab.raw("POST", "/api/auth/github/callback/", { code: popup.code }, { token: null });
    expect([replay.status, replay.data.code]).toEqual([400, "invalid_state"]);
    const stranger = await s.browser().call("POST", "/api/auth/github/callback/", { code: popup.code });
    expect([stranger.status, stranger.data.code]).toEqual([400, "invalid_state"]);
  });

  test("PKCE is still used: the code is exchanged with the verifier the start made", async () => {
    const s = await withGithub();
    const tab = s.browser();
    const started = await tab.call("GET", "/api/auth/github/");
    expect(new URL(started.data.url).searchParams.get("code_challenge_method")).toBe("S256");
    const { code } = await s.github.approve(started.data.url);
    expect((await tab.call("POST", "/api/auth/github/callback/", { code })).status).toBe(200);
  });

  test("an admin signing in is told so by is_staff and is_superuser (the app picks its landing page from them)", async () => {
    const s = await withGithub();
    s.github.person = { id: "1", login: "root-ada", email: null, emailVerified: false };
    const tab = s.browser();
    const first = await tab.call("GET", "/api/auth/github/");
    const finished = await tab.call("POST", "/api/auth/github/callback/", { code: (await s.github.approve(first.data.url)).code });
    await s.ctx.services.users.setRole(finished.data.user.id, "admin");
    const again = await tab.call("GET", "/api/auth/github/");
    const admin = await tab.call("POST", "/api/auth/github/callback/", { code: (await s.github.approve(again.data.url)).code });
    expect(admin.data.user).toMatchObject({ is_staff: true, is_superuser: true });
  });
});

describe("the session, as the original web client keeps it", () => {
  test("refresh answers carry the user; the app keeps only access_token and its session ends at the second expiry", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    s.clock.advance(15 * 60_000 + 1);
    // First 401: refreshed with the stored refresh token, retried, answered.
    const me = await ada.call("GET", "/api/profiles/user/");
    expect(me.status).toBe(200);
    const refreshed = await s.browser().raw("POST", "/api/auth/refresh/", { refresh_token: "made-up" });
    expect(refreshed.status).toBe(401);
    s.clock.advance(15 * 60_000 + 1);
    // Second 401: the stored (first) refresh token was used already: the family ends, the app logs out.
    expect((await ada.call("GET", "/api/profiles/user/")).status).toBe(401);
    expect(ada.location).toBe("/login");
  });

  test("a refresh answer's user is the user object", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const answer = await ada.raw("POST", "/api/auth/refresh/", { refresh_token: ada.localStorage.get("refresh_token") }, { token: null });
    expect(answer.data.user).toMatchObject({ username: "ada", is_active: true, profile: { provider: "local", xp: 0 } });
  });

  test("logout by bearer alone ends that session: its access token stops working, its refresh token too", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const other = s.browser();
    other.signedIn((await other.call("POST", "/api/auth/login/", { login: "ada", password: "correct horse battery" })).data);
    const out = await ada.call("POST", "/api/auth/logout/");
    expect(out.status).toBe(204);
    expect((await ada.raw("GET", "/api/profiles/user/")).status).toBe(401);
    expect((await ada.raw("POST", "/api/auth/refresh/", { refresh_token: ada.localStorage.get("refresh_token") })).status).toBe(401);
    // The other tab's session is another one, and goes on.
    expect((await other.call("GET", "/api/profiles/user/")).status).toBe(200);
  });
});

describe("deleting the account", () => {
  test("erases personal data and frees the name; money and ledger records stay, detached; chat shows deleted-user", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const form = new FormData();
    form.set("first_name", "Ada");
    form.set("avatar", new File([PNG], "me.png", { type: "image/png" }));
    const edited = await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: form });
    const avatarFile = join(s.dataDir, edited.data.avatar_url);
    expect(existsSync(avatarFile)).toBe(true);
    await ada.call("POST", "/api/rewards/check-in/");
    await s.ctx.services.chat.post(ada.userId, "hello before leaving");

    const deleted = await ada.call("DELETE", "/api/auth/user/delete/");
    expect(deleted.status).toBe(200);
    expect(typeof deleted.data.message).toBe("string");
    expect(existsSync(avatarFile)).toBe(false);
    expect((await ada.raw("GET", "/api/profiles/user/")).status).toBe(401);
    expect((await s.browser().call("GET", "/api/profiles/users/ada/")).status).toBe(404);

    const row = await queryOne(s.ctx, "SELECT username, email, first_name, password_hash, disabled FROM users WHERE id = ?", ada.userId);
    expect(row).toEqual({ username: `~deleted-${ada.userId}`, email: null, first_name: "", password_hash: null, disabled: 1 });
    expect(await queryOne(s.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM xp_ledger WHERE user_id = ?", ada.userId)).toEqual({ n: 1 });
    expect((await s.ctx.services.chat.recent()).at(-1)).toMatchObject({ message: "hello before leaving", username: "deleted-user" });
    // The name is free again.
    expect((await s.browser().call("POST", "/api/auth/register/", { username: "ada", email: "ada@example.com", password: "a new beginning" })).status).toBe(201);
  });

  test("DELETE /api/profiles/user/ does the same", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    expect((await ada.call("DELETE", "/api/profiles/user/")).status).toBe(200);
    expect(await s.ctx.services.users.findByUsername("ada")).toBeUndefined();
  });
});
