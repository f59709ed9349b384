import { afterEach, describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { streakChain } from "../../src/import/django-import.ts";
import { FakeOAuthProvider } from "../fakes/oauth-server.ts";
import { buildOriginalPostgres, buildOriginalSqlite, originalCommunity, type OriginalData, PASSWORDS } from "../fixtures/django.ts";
import { CLI_ENTRY, runCoc } from "../support/cli.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { call } from "../support/http.ts";
import { testPostgres } from "../support/services.ts";
import { useTempDirs } from "../support/temp.ts";
import { createTestContext, engineEnv, query, TEST_JWT_SECRET } from "../support/test-context.ts";

const tempDir = useTempDirs("coc-import-");
const fakes: FakeOAuthProvider[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

const CALLBACK = "http://localhost:5173/oauth/callback";
// A 1×1 PNG: what the original's media folder holds for arjun-dev.
const PNG = Uint8Array.from(Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==", "base64"));

/** A fresh target (this suite's engine), with the original's database built as `kind`. */
async function setup(kind: "sqlite" | "postgres" = "sqlite", data: OriginalData = originalCommunity()) {
  const dir = tempDir();
  let source: string;
  if (kind === "sqlite") {
    source = join(dir, "db.sqlite3");
    buildOriginalSqlite(source, data);
  } else {
    const { base, admin } = await testPostgres();
    const name = `code_of_clan_${process.pid}_${Date.now()}`;
    await admin.unsafe(`CREATE DATABASE ${name}`);
    source = `${base}/${name}`;
    await buildOriginalPostgres(source, data);
  }
  const media = join(dir, "media");
  mkdirSync(join(media, "avatars"), { recursive: true });
  writeFileSync(join(media, "avatars", "58213344.png"), PNG);
  const target = join(dir, "coc.db");
  const env = { ...(await engineEnv({ COC_DATABASE: target })), COC_DATA_DIR: join(dir, "data"), COC_JWT_SECRET: TEST_JWT_SECRET, COC_LOG_LEVEL: "error" };
  const importer = (...args: string[]) => runCoc(["import-django", source, ...args], { env, cwd: dir });
  const json = async (...args: string[]) => {
    const result = await importer("--json", ...args);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    return JSON.parse(result.stdout);
  };
  /** The server's view, on the same database, with a fake GitHub for sign-ins. */
  const server = async (extra: Record<string, string> = {}) => {
    const github = await FakeOAuthProvider.start("github", new FakeClock());
    fakes.push(github);
    const test = await createTestContext({ env: { COC_DATABASE: target, COC_DATA_DIR: join(dir, "data"), COC_OAUTH_REDIRECT_URIS: CALLBACK, ...github.env(), ...extra } });
    return { ...test, app: createApp(test.ctx), github };
  };
  return { data, source, media, env, target, importer, json, server, dir };
}

/** Each imported member's balance, the sum of their ledger and their original XP, by username. */
async function balances(ctx: Parameters<typeof query>[0]) {
  return query<{ username: string; xp: number; ledger: number }>(
    ctx,
    "SELECT u.username, p.xp, CAST(coalesce((SELECT sum(amount) FROM xp_ledger l WHERE l.user_id = u.id), 0) AS INTEGER) AS ledger FROM users u JOIN profiles p ON p.user_id = u.id ORDER BY u.id",
  );
}

describe("coc import-django", () => {
  test("brings a whole community over from a SQLite file; members sign in, keep their XP, streaks, follows, payments and chat", async () => {
    const s = await setup("sqlite");
    const report = await s.json("--media", s.media);
    expect(report.kinds.users).toEqual({ imported: 12, skipped: 0, renamed: 1, adjusted: 0 });
    expect(report.renamed).toEqual([{ from: "Meera.K", to: "Meera.K_2" }]);
    expect(report.kinds.identities.imported).toBe(9);
    expect(report.kinds.referrals.imported).toBe(3);
    expect(report.kinds.follows.imported).toBe(5);
    expect(report.kinds.check_ins.imported).toBe(s.data.checkIns.length);
    expect(report.kinds.payments.imported).toBe(5);
    expect(report.kinds.chat_messages.imported).toBe(3);
    expect(report.kinds.xp.adjusted).toBe(6);
    expect(report.notes.some((note: string) => note.includes("Shared@Example.com"))).toBe(true);

    const s2 = await s.server();
    // XP: every balance is the original's, and the sum of its ledger.
    const original = new Map(s.data.users.map((u) => [u.username, u.xp]));
    for (const row of await balances(s2.ctx)) {
      expect(row.ledger).toBe(row.xp);
      expect(row.xp).toBe(original.get(row.username === "Meera.K_2" ? "Meera.K" : row.username)!);
    }
    const ledger = await query(s2.ctx, "SELECT source, reference, amount FROM xp_ledger WHERE user_id = (SELECT id FROM users WHERE username = 'kiran') ORDER BY id");
    expect(ledger).toEqual([
      { source: "purchase", reference: "order_qT2RbcNljyv5IG", amount: 500 },
      { source: "purchase", reference: "order_Fraction00004", amount: 100 },
      { source: "import_adjustment", reference: "django:users_userprofile:12", amount: 50 },
    ]);

    // A password of the original works, and becomes argon2id at its first use.
    const login = await call(s2.app, "POST", "/api/auth/login/", { json: { login: "dev_tester", password: PASSWORDS.dev_tester } });
    expect(login.status).toBe(200);
    expect((await call(s2.app, "POST", "/api/auth/login/", { json: { login: "priya_mod", password: "wrong" } })).status).toBe(401);
    const [hash] = await query<{ password_hash: string }>(s2.ctx, "SELECT password_hash FROM users WHERE username = 'dev_tester'");
    expect(hash!.password_hash.startsWith("$argon2id$")).toBe(true);
    expect((await call(s2.app, "POST", "/api/auth/login/", { json: { login: "dev_tester", password: PASSWORDS.dev_tester } })).status).toBe(200);
    const admin = await call(s2.app, "POST", "/api/auth/login/", { json: { login: "admin", password: PASSWORDS.admin } });
    expect(admin.body.user.is_staff).toBe(true);
    // No password sign-in for OAuth members (their password was unusable), and a blocked member stays blocked.
    expect((await call(s2.app, "POST", "/api/auth/login/", { json: { login: "arjun-dev", password: "anything at all" } })).status).toBe(401);
    const blocked = await query(s2.ctx, "SELECT disabled FROM users WHERE username = 'vikram.rao'");
    expect(blocked).toEqual([{ disabled: 1 }]);

    // arjun-dev's next GitHub sign-in lands in the imported account.
    s2.github.person = { id: "58213344", login: "arjun-dev", email: "arjun@example.com", emailVerified: true };
    const started = await call(s2.app, "GET", "/api/auth/github/");
    const { code, state } = await s2.github.approve(started.body.url);
    const signedIn = await call(s2.app, "POST", "/api/auth/github/callback/", { json: { code, state } });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.user.username).toBe("arjun-dev");
    const token = signedIn.body.access_token;
    const me = (await call(s2.app, "GET", "/api/profiles/user/", { token })).body;
    expect(me.xp).toBe(original.get("arjun-dev"));
    expect(me.followers_count).toBe(3);
    expect(me.following_count).toBe(2);
    expect(me.links).toEqual({ github: "arjun-dev", leetcode: "arjun_lc" });
    expect(me.bio).toBe("Full-stack ✨");
    // The avatar was copied from --media and is served here.
    expect(me.avatar_url).toMatch(/\/media\/avatars\/[0-9a-f]+\.png$/);
    const picture = await s2.app.handle(new Request(`http://localhost${new URL(me.avatar_url, "http://localhost").pathname}`));
    expect(picture.status).toBe(200);
    // 21 days in a row: the streak is 21 (the original stored 1–7 three times).
    expect(me.streak).toMatchObject({ longest: 21, last_check_in: "2026-01-21" });
    const arjunDays = await query<{ streak_day: number; cycle_day: number }>(s2.ctx, "SELECT streak_day, cycle_day FROM check_ins WHERE user_id = ? ORDER BY date", me.id);
    expect(arjunDays.map((d) => d.streak_day)).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    expect(arjunDays.map((d) => d.cycle_day)).toEqual(Array.from({ length: 21 }, (_, i) => (i % 7) + 1));
    // meera.k's missed day was saved by a freeze; lena-d's gap broke her streak; dates stay as stored (India's calendar).
    const streaks = await query<{ username: string; current_streak: number; longest_streak: number; last_check_in: string }>(
      s2.ctx,
      "SELECT u.username, p.current_streak, p.longest_streak, p.last_check_in FROM users u JOIN profiles p ON p.user_id = u.id WHERE u.username IN ('meera.k', 'lena-d', 'nehacodes') ORDER BY u.username",
    );
    expect(streaks).toEqual([
      { username: "lena-d", current_streak: 2, longest_streak: 4, last_check_in: "2026-01-18" },
      { username: "meera.k", current_streak: 8, longest_streak: 8, last_check_in: "2026-01-18" },
      { username: "nehacodes", current_streak: 2, longest_streak: 2, last_check_in: "2026-01-21" },
    ]);
    // Payments with their states; chat history with author and time, in order.
    const kiran = await query<{ id: number }>(s2.ctx, "SELECT id FROM users WHERE username = 'kiran'");
    const kiranToken = (await s2.ctx.services.tokens.issue((await s2.ctx.services.users.findById(kiran[0]!.id))!)).accessToken;
    const history = (await call(s2.app, "GET", "/api/payments/history/", { token: kiranToken })).body;
    const orders = (history.items ?? history) as { order_id: string; status: string; amount: number }[];
    expect(orders.map((o) => [o.order_id, o.status]).sort()).toEqual([
      ["order_Fraction00004", "paid"],
      ["order_Pending000001", "created"],
      ["order_qT2RbcNljyv5IG", "paid"],
    ]);
    const chat = await s2.ctx.services.chat.recent();
    expect(chat.map((m) => [m.username, m.message])).toEqual([
      ["arjun-dev", "hello clan 👋"],
      ["meera.k", "multi-line test:\nline 2 <b>not html</b>"],
      ["nehacodes", "🔥🔥"],
    ]);
    expect(chat[0]!.createdAt.toISOString()).toBe("2026-01-14T13:30:00.028Z");
    // Who referred whom.
    const referred = await query(s2.ctx, "SELECT u.username, r.username AS referrer FROM profiles p JOIN users u ON u.id = p.user_id JOIN users r ON r.id = p.referred_by_user_id ORDER BY u.username");
    expect(referred).toEqual([
      { username: "nehacodes", referrer: "arjun-dev" },
      { username: "rahul.s", referrer: "arjun-dev" },
      { username: "zoe.codes", referrer: "meera.k" },
    ]);

    // A second run imports nothing and says so; nothing is credited twice.
    const again = await s.json("--media", s.media);
    expect(again.nothing_new).toBe(true);
    expect(again.kinds.users).toEqual({ imported: 0, skipped: 12, renamed: 0, adjusted: 0 });
    expect(again.kinds.check_ins.imported).toBe(0);
    for (const row of await balances(s2.ctx)) expect(row.ledger).toBe(row.xp);
    expect(await query(s2.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM users")).toEqual([{ n: 12 }]);
    const plain = await s.importer();
    expect(plain.stdout).toContain("nothing new to import");
  }, 60_000);

  test("runs beside a serving coc on the same database: its sign-ups and check-ins go on meanwhile", async () => {
    const s = await setup("sqlite", originalCommunity({ extraMembers: 300 }));
    const s2 = await s.server({ COC_REGISTRATIONS_PER_ADDRESS: "100/1h" });
    const importing = s.json();
    const answers: number[] = [];
    for (let i = 0; i < 15; i++) {
      const registered = await call(s2.app, "POST", "/api/auth/register/", { json: { username: `newcomer${i}`, email: `newcomer${i}@example.com`, password: "long enough password" }});
      answers.push(registered.status);
      answers.push((await call(s2.app, "POST", "/api/rewards/check-in/", { token: registered.body.access_token })).status);
    }
    const report = await importing;
    expect(answers.filter((status) => status === 201).length).toBe(30);
    expect(report.kinds.users.imported).toBe(s.data.users.length);
    expect(await query(s2.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM users")).toEqual([{ n: s.data.users.length + 15 }]);
    for (const row of await balances(s2.ctx)) expect(row.ledger).toBe(row.xp);
  }, 60_000);

  test("a picture path that leads out of the media folder (.., or a link inside it) is not read", async () => {
    const data = originalCommunity();
    data.users.find((u) => u.username === "arjun-dev")!.avatar = "avatars/link.png";
    data.users.find((u) => u.username === "kiran")!.avatar = "../outside.png";
    const s = await setup("sqlite", data);
    writeFileSync(join(s.dir, "outside.png"), PNG);
    symlinkSync(join(s.dir, "outside.png"), join(s.media, "avatars", "link.png"));
    const report = await s.json("--media", s.media);
    expect(report.notes).toContain(`arjun-dev: avatars/link.png is not in ${s.media}; not copied`);
    expect(report.notes).toContain(`kiran: ../outside.png is not in ${s.media}; not copied`);
    const s2 = await s.server();
    expect(await query(s2.ctx, "SELECT avatar_url FROM profiles p JOIN users u ON u.id = p.user_id WHERE u.username IN ('arjun-dev', 'kiran')")).toEqual([{ avatar_url: null }, { avatar_url: null }]);
  });

  test("a name already taken here gets a suffix and is listed; the member here keeps theirs", async () => {
    const s = await setup("sqlite");
    const s2 = await s.server();
    const here = await s2.ctx.services.users.create({ username: "DEV_TESTER" });
    const report = await s.json();
    expect(report.renamed).toContainEqual({ from: "dev_tester", to: "dev_tester_2" });
    expect(report.kinds.users.renamed).toBe(2);
    const login = await call(s2.app, "POST", "/api/auth/login/", { json: { login: "dev_tester_2", password: PASSWORDS.dev_tester } });
    expect(login.status).toBe(200);
    expect((await s2.ctx.services.users.findById(here.id))!.username).toBe("DEV_TESTER");
  });

  test("--dry-run prints what it would do and changes nothing", async () => {
    const s = await setup("sqlite");
    const plan = await s.json("--dry-run");
    expect(plan.dry_run).toBe(true);
    expect(plan.kinds.users.imported).toBe(12);
    expect(plan.kinds.users.renamed).toBe(1);
    expect(plan.kinds.check_ins.imported).toBe(s.data.checkIns.length);
    expect(plan.kinds.xp.adjusted).toBe(6);
    const s2 = await s.server();
    for (const table of ["users", "profiles", "check_ins", "xp_ledger", "payments", "chat_messages", "follows", "imported_rows"]) {
      expect(await query(s2.ctx, `SELECT CAST(count(*) AS INTEGER) AS n FROM ${table}`)).toEqual([{ n: 0 }]);
    }
    const table = await s.importer("--dry-run");
    expect(table.stdout).toContain("dry run: nothing was written");
    expect(table.stdout).toMatch(/users\s+12/);
    // On a terminal, a progress bar per step (on stderr: stdout stays the report).
    const onTerminal = await runCoc(["import-django", s.source, "--dry-run"], { env: s.env, cwd: s.dir, tty: {} });
    expect(onTerminal.stderr).toContain(`users      [${"#".repeat(30)}] 12/12`);
    expect(onTerminal.stderr).toContain("check-ins  [");
  }, 60_000);

  test("from the original's PostgreSQL (numeric amounts, timestamptz, another column order), the same result", async () => {
    const s = await setup("postgres");
    const report = await s.json("--media-url", "https://old.codeofclans.example");
    expect(report.kinds.users.imported).toBe(12);
    expect(report.kinds.payments.imported).toBe(5);
    const s2 = await s.server();
    const original = new Map(s.data.users.map((u) => [u.username, u.xp]));
    for (const row of await balances(s2.ctx)) {
      expect(row.ledger).toBe(row.xp);
      expect(row.xp).toBe(original.get(row.username === "Meera.K_2" ? "Meera.K" : row.username)!);
    }
    expect(await query(s2.ctx, "SELECT amount_paise, status FROM payments WHERE order_id = 'order_Fraction00004'")).toEqual([{ amount_paise: 9950, status: "paid" }]);
    expect(await query(s2.ctx, "SELECT avatar_url FROM profiles p JOIN users u ON u.id = p.user_id WHERE u.username = 'arjun-dev'")).toEqual([
      { avatar_url: "https://old.codeofclans.example/media/avatars/58213344.png" },
    ]);
    expect(await query(s2.ctx, "SELECT created_at FROM chat_messages ORDER BY id LIMIT 1")).toEqual([{ created_at: s2.ctx.engine === "postgres" ? "1768397400028" : 1768397400028 }]);
    const login = await call(s2.app, "POST", "/api/auth/login/", { json: { login: "priya_mod", password: PASSWORDS.priya_mod } });
    expect(login.status).toBe(200);
  }, 60_000);

  test("an interrupted import (the process killed) resumes: everything once, every balance its ledger", async () => {
    const s = await setup("sqlite", originalCommunity({ extraMembers: 1500 }));
    const child = Bun.spawn(["bun", CLI_ENTRY, "import-django", s.source, "--json"], { cwd: s.dir, env: { PATH: process.env.PATH ?? "", ...s.env }, stdout: "pipe", stderr: "pipe" });
    const s2 = await s.server();
    // Killed once the first rows are in, long before the end.
    for (;;) {
      const [row] = await query<{ n: number }>(s2.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM imported_rows");
      if (row!.n > 0) break;
      if (child.exitCode !== null) throw new Error(`the import ended before it could be interrupted: ${await new Response(child.stderr).text()}`);
      await Bun.sleep(10);
    }
    child.kill("SIGKILL");
    await child.exited;
    const [partial] = await query<{ n: number }>(s2.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM imported_rows");
    expect(partial!.n).toBeLessThan(s.data.users.length + s.data.checkIns.length);

    const resumed = await s.json();
    expect(resumed.kinds.users.skipped + resumed.kinds.users.imported).toBe(s.data.users.length);
    expect(resumed.kinds.users.skipped).toBeGreaterThan(0);
    expect(await query(s2.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM users")).toEqual([{ n: s.data.users.length }]);
    expect(await query(s2.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM check_ins")).toEqual([{ n: s.data.checkIns.length }]);
    const original = new Map(s.data.users.map((u) => [u.username, u.xp]));
    for (const row of await balances(s2.ctx)) {
      expect(row.ledger).toBe(row.xp);
      expect(row.xp).toBe(original.get(row.username === "Meera.K_2" ? "Meera.K" : row.username)!);
    }
    expect(await query(s2.ctx, "SELECT source, reference FROM xp_ledger GROUP BY source, reference HAVING count(*) > 1")).toEqual([]);
    expect((await s.json()).nothing_new).toBe(true);
  }, 120_000);

  test("a source that is not the original's database is refused, naming why; the source is never written", async () => {
    const dir = tempDir();
    const env = { ...(await engineEnv({ COC_DATABASE: join(dir, "coc.db") })), COC_JWT_SECRET: TEST_JWT_SECRET };
    const missing = await runCoc(["import-django", join(dir, "nope.sqlite3")], { env, cwd: dir });
    expect([missing.code, missing.stderr]).toEqual([1, `error: no such file: ${join(dir, "nope.sqlite3")}\n`]);
    const other = join(dir, "other.sqlite3");
    const db = new (await import("bun:sqlite")).Database(other, { create: true });
    db.run("CREATE TABLE notes (id integer)");
    db.close();
    const refused = await runCoc(["import-django", other], { env, cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("not the original Code of Clans database");
  });
});

describe("streakChain", () => {
  const row = (id: number, date: string, streakDay: number) => ({ id, userId: 1, date, streakDay, xpEarned: 5 * streakDay, createdAt: 0 });
  test("consecutive days continue, a one-day gap where the cycle went on is a freeze, any other gap starts again", () => {
    const chain = streakChain([row(1, "2026-01-01", 6), row(2, "2026-01-02", 7), row(3, "2026-01-03", 1), row(5, "2026-01-05", 2), row(6, "2026-01-07", 1), row(7, "2026-01-11", 1)]);
    expect(chain.map((link) => [link.streak, link.freezeUsed])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
      [1, false],
      [1, false],
    ]);
  });
});
