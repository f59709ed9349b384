import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cleanUpAfterEach, originalSetup } from "./support.ts";

cleanUpAfterEach();

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72, 68, 82]);
const GIF = new TextEncoder().encode("GIF89a\x01\x00\x01\x00");
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]);
const WEBP = new TextEncoder().encode("RIFF\x10\x00\x00\x00WEBPVP8 ");

/** The profile page's save: it always sends multipart/form-data. */
function profileForm(fields: Record<string, string>, files: Record<string, Uint8Array> = {}): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  for (const [key, bytes] of Object.entries(files)) form.set(key, new File([bytes], `${key}.bin`, { type: "application/octet-stream" }));
  return form;
}

describe("the user object the original web client reads", () => {
  test("home reads profile.xp: it is the server's XP", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    await s.ctx.services.xp.add({ userId: ada.userId, amount: 150, source: "admin_adjustment" });
    const me = await ada.start();
    expect(me.data.profile.xp).toBe(150);
    expect(me.data.xp).toBe(150);
  });

  test("every member it reads, in the answers it reads them from", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const registered = await s.browser().call("POST", "/api/auth/register/", { username: "grace", email: "grace@example.com", password: "correct horse battery" });
    for (const user of [(await ada.start()).data, registered.data.user]) {
      expect(user).toMatchObject({
        first_name: expect.any(String),
        last_name: expect.any(String),
        is_staff: false,
        is_superuser: false,
        is_active: true,
        followers_count: 0,
        following_count: 0,
        profile: {
          provider: "local",
          avatar_url: null,
          banner_url: null,
          bio: "",
          xp: 0,
          referral_code: expect.stringMatching(/^[0-9A-Z]{8}$/),
          is_referred: false,
          created_at: "2026-03-01T12:00:00.000Z",
          github_username: null,
          leetcode_username: null,
        },
      });
    }
  });
});

describe("editing the profile as the original web client does: multipart", () => {
  test("text fields, a bio, handles and an avatar: saved, shown, and the image served at /media/", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const saved = await ada.call("PATCH", "/api/profiles/user/update/", undefined, {
      multipart: profileForm({ first_name: "Ada", last_name: "Lovelace", bio: "Analytical engines", github_username: "ada-l", leetcode_username: "adal" }, { avatar: PNG }),
    });
    expect(saved.status).toBe(200);
    expect(saved.data.avatar_url).toBe(saved.data.profile.avatar_url);
    expect(saved.data).toMatchObject({
      first_name: "Ada",
      last_name: "Lovelace",
      bio: "Analytical engines",
      links: { github: "ada-l", leetcode: "adal" },
      profile: { bio: "Analytical engines", github_username: "ada-l", leetcode_username: "adal", avatar_url: expect.stringMatching(/^\/media\/avatars\/[0-9a-f]{32}\.png$/) },
    });
    const image = await fetch(`${s.server.base}${saved.data.avatar_url}`);
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/png");
    expect(image.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(new Uint8Array(await image.arrayBuffer())).toEqual(PNG);
    expect((await ada.start()).data.bio).toBe("Analytical engines");
  });

  test.each([["JPEG", JPEG, "jpg"], ["WebP", WEBP, "webp"], ["GIF", GIF, "gif"]])("a %s banner is judged by its bytes", async (_, bytes, ext) => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const saved = await ada.call("PUT", "/api/profiles/user/update/", undefined, { multipart: profileForm({}, { banner: bytes }) });
    expect(saved.data.banner_url).toMatch(new RegExp(`^/media/banners/[0-9a-f]{32}\\.${ext}$`));
  });

  test("a file that is no image (whatever its name) is refused with a message, and nothing changes", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    const refused = await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({ bio: "changed" }, { avatar: svg }) });
    expect(refused.status).toBe(400);
    expect(refused.data.errors).toEqual([{ path: "/avatar", message: "must be a PNG, JPEG, WebP or GIF image" }]);
    expect(ada.toast).toBe(refused.data.detail);
    expect((await ada.start()).data.bio).toBe("");
    expect(existsSync(join(s.dataDir, "media", "avatars")) ? readdirSync(join(s.dataDir, "media", "avatars")) : []).toEqual([]);
  });

  test("an image over the size limit is refused", async () => {
    const s = await originalSetup({ env: { COC_MAX_UPLOAD_BYTES: "2048" } });
    const ada = await s.signUp("ada");
    const big = new Uint8Array(4096);
    big.set(PNG);
    const refused = await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({}, { avatar: big }) });
    expect([refused.status, refused.data.errors[0].path]).toEqual([400, "/avatar"]);
  });

  test("a new avatar replaces the old one, whose file is removed", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const first = (await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({}, { avatar: PNG }) })).data.avatar_url;
    const second = (await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({}, { avatar: GIF }) })).data.avatar_url;
    expect(second).not.toBe(first);
    expect(existsSync(join(s.dataDir, first))).toBe(false);
    expect((await fetch(`${s.server.base}${first}`)).status).toBe(404);
    expect((await fetch(`${s.server.base}${second}`)).status).toBe(200);
  });

  test("a rename: same rules as sign-up, a taken name is a 409 the page shows", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    await s.signUp("grace");
    const taken = await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({ username: "GRACE" }) });
    expect([taken.status, taken.data.code, ada.toast]).toEqual([409, "username_taken", taken.data.error]);
    const bad = await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({ username: "no spaces allowed" }) });
    expect(bad.status).toBe(400);
    const renamed = await ada.call("PATCH", "/api/profiles/user/update/", undefined, { multipart: profileForm({ username: "countess" }) });
    expect(renamed.data.username).toBe("countess");
    expect((await s.browser().call("GET", "/api/profiles/users/countess/")).status).toBe(200);
    expect((await s.browser().call("GET", "/api/profiles/users/ada/")).status).toBe(404);
    expect((await s.browser().call("POST", "/api/auth/login/", { login: "countess", password: "correct horse battery" })).status).toBe(200);
  });

  test("only the profile edit takes multipart: other routes still want JSON", async () => {
    const s = await originalSetup();
    const login = await s.browser().call("POST", "/api/auth/login/", undefined, { multipart: profileForm({ login: "ada", password: "correct horse battery" }) });
    expect([login.status, login.data.code]).toEqual([415, "unsupported_media_type"]);
  });
});

describe("follows", () => {
  test("toggle, the counts, and the public profile's is_following", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    await s.signUp("grace");
    const follow = await ada.call("POST", "/api/profiles/users/grace/follow/");
    expect(follow.data).toEqual({ is_following: true, follower_count: 1, followers_count: 1, following_count: 0 });
    expect((await ada.call("GET", "/api/profiles/users/grace/")).data).toMatchObject({ username: "grace", is_following: true, followers_count: 1 });
    expect((await s.browser().call("GET", "/api/profiles/users/grace/")).data.is_following).toBe(false);
    expect((await ada.start()).data.following_count).toBe(1);
    const unfollow = await ada.call("POST", "/api/profiles/users/grace/follow/");
    expect(unfollow.data).toEqual({ is_following: false, follower_count: 0, followers_count: 0, following_count: 0 });
    const self = await ada.call("POST", "/api/profiles/users/ada/follow/");
    expect([self.status, self.data.code]).toEqual([400, "cannot_follow_self"]);
  });

  test("ten follows of one user at once, then ten unfollows: the counts equal the rows", async () => {
    const s = await originalSetup();
    await s.signUp("star");
    const fans = await Promise.all(Array.from({ length: 10 }, (_, i) => s.signUp(`fan${i}`)));
    await Promise.all(fans.map((fan) => fan.call("POST", "/api/profiles/users/star/follow/")));
    expect((await s.browser().call("GET", "/api/profiles/users/star/")).data.followers_count).toBe(10);
    await Promise.all(fans.map((fan) => fan.call("POST", "/api/profiles/users/star/follow/")));
    expect((await s.browser().call("GET", "/api/profiles/users/star/")).data.followers_count).toBe(0);
  });

  test("followers and following: plain arrays, newest first, the next page in a Link header", async () => {
    const s = await originalSetup();
    const star = await s.signUp("star");
    const fans = [];
    for (let i = 0; i < 5; i++) {
      const fan = await s.signUp(`fan${i}`);
      await fan.call("POST", "/api/profiles/users/star/follow/");
      s.clock.advance(1000);
      fans.push(fan);
    }
    await star.call("POST", "/api/profiles/users/fan2/follow/");
    const seen: string[] = [];
    let path: string | null = "/api/profiles/users/star/followers/?limit=2";
    while (path) {
      const page = await star.call("GET", path);
      expect(Array.isArray(page.data)).toBe(true);
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const item of page.data) expect(Object.keys(item).sort()).toEqual(["avatar_url", "first_name", "is_following", "username"]);
      seen.push(...page.data.map((item: { username: string; is_following: boolean }) => `${item.username}${item.is_following ? "*" : ""}`));
      const link = page.headers.get("link");
      path = link ? new URL(/^<([^>]+)>; rel="next"$/.exec(link)![1]!).pathname + new URL(/^<([^>]+)>/.exec(link)![1]!).search : null;
    }
    expect(seen).toEqual(["fan4", "fan3", "fan2*", "fan1", "fan0"]);
    const following = await fans[0]!.call("GET", "/api/profiles/users/fan0/following/");
    expect(following.data).toEqual([{ username: "star", first_name: "", avatar_url: null, is_following: true }]);
    expect(following.headers.get("link")).toBeNull();
  });
});

describe("admin", () => {
  test("the user list, newest first with Link paging, and toggle-block; not for users; not oneself", async () => {
    const s = await originalSetup();
    const root = await s.signUp("root");
    await s.ctx.services.users.setRole(root.userId, "admin");
    for (const name of ["user1", "user2", "user3"]) await s.signUp(name);
    const first = await root.call("GET", "/api/profiles/admin/users/?limit=2");
    expect(first.data.map((u: { username: string }) => u.username)).toEqual(["user3", "user2"]);
    expect(first.data[0]).toMatchObject({ email: "user3@example.com", is_active: true, is_staff: false });
    expect(first.headers.get("link")).toMatch(/^<.+\/api\/profiles\/admin\/users\/\?limit=2&cursor=.+>; rel="next"$/);
    const blocked = await root.call("POST", "/api/profiles/admin/users/user2/toggle-block/");
    expect(blocked.data).toEqual({ message: expect.any(String), is_active: false });
    expect((await s.browser().call("POST", "/api/auth/login/", { login: "user2", password: "correct horse battery" })).data.error).toBe("User account is disabled.");
    expect((await root.call("POST", "/api/profiles/admin/users/user2/toggle-block/")).data.is_active).toBe(true);
    expect((await root.call("POST", "/api/profiles/admin/users/root/toggle-block/")).status).toBe(400);
    const user = await s.signUp("mallory");
    expect((await user.call("GET", "/api/profiles/admin/users/")).status).toBe(403);
    expect((await user.call("POST", "/api/profiles/admin/users/user1/toggle-block/")).status).toBe(403);
  });
});
