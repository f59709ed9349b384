import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeRazorpay } from "../fakes/razorpay-server.ts";
import { CLI_ENTRY, LogReader, runCoc } from "../support/cli.ts";
import { testEngine } from "../support/services.ts";
import { createTestContext, engineEnv, query, TEST_JWT_SECRET } from "../support/test-context.ts";

/**
 * The real `coc` program as a subprocess, on a temp database that a running `coc serve` shares;
 * results are checked through the HTTP API (and the file where the API has no view).
 */
let dir: string;
let database: string;
let base: string;
let server: ReturnType<typeof Bun.spawn>;
let razorpay: FakeRazorpay;
let env: Record<string, string>;
let engineVars: Record<string, string>;

/** Rows of the database the server and the CLI share, read beside them. */
async function rows(text: string, ...params: unknown[]) {
  const { ctx } = await createTestContext({ env: { COC_DATABASE: database } });
  return query(ctx, text, ...params);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "coc-admin-"));
  database = join(dir, "coc.db");
  razorpay = new FakeRazorpay();
  // The engine the suite runs on: this file, or a Postgres database (and Redis) standing for it.
  engineVars = await engineEnv({ COC_DATABASE: database });
  env = { PATH: process.env.PATH ?? "", HOME: dir, COC_JWT_SECRET: TEST_JWT_SECRET, ...engineVars, COC_REGISTRATIONS_PER_ADDRESS: "1000/1h", ...razorpay.env() };
  server = Bun.spawn(["bun", CLI_ENTRY, "serve", "--port", "0", "--host", "127.0.0.1"], { cwd: dir, env, stdout: "pipe", stderr: "inherit" });
  const listening = await new LogReader(server.stdout as ReadableStream<Uint8Array>).waitFor((line) => line.msg === "listening");
  base = String(listening.url).replace(/\/$/, "");
}, 30_000);

afterAll(async () => {
  server.kill("SIGTERM");
  await server.exited;
  razorpay.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function coc(args: string[], options: { stdin?: string } = {}) {
  const child = Bun.spawn(["bun", CLI_ENTRY, ...args], { cwd: dir, env, stdin: options.stdin === undefined ? "ignore" : "pipe", stdout: "pipe", stderr: "pipe" });
  if (options.stdin !== undefined && child.stdin) {
    child.stdin.write(options.stdin);
    await child.stdin.end();
  }
  const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
  return { code, stdout, stderr };
}

async function api(method: string, path: string, options: { token?: string; json?: unknown } = {}) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.json !== undefined ? { "content-type": "application/json" } : {}) },
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

let counter = 0;
async function newUser() {
  const username = `member${++counter}`;
  const result = await api("POST", "/api/auth/register/", { json: { username, email: `${username}@example.com`, password: "long enough" } });
  expect(result.status).toBe(201);
  return { username, id: result.body.user.id as number, token: result.body.access_token as string, refresh: result.body.refresh_token as string };
}

const profile = async (token: string) => (await api("GET", "/api/profiles/user/", { token })).body;

describe("coc grant-xp", () => {
  test("grants through the ledger, with the reason and the operator recorded", async () => {
    const user = await newUser();
    const result = await coc(["grant-xp", user.username, "250", "--reason", "hackathon winner"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`granted 250 XP to ${user.username}; balance 250\n`);
    expect((await profile(user.token)).xp).toBe(250);
    const history = (await api("GET", "/api/xp/history/", { token: user.token })).body.items;
    expect(history[0]).toMatchObject({ amount: 250, source: "admin_adjustment", balance_after: 250 });
    expect(await rows("SELECT actor, note FROM xp_ledger WHERE user_id = ?", user.id)).toEqual([{ actor: expect.stringMatching(/^cli:/), note: "hackathon winner" }]);
  });

  test("taking XP below zero fails and changes nothing", async () => {
    const user = await newUser();
    await coc(["grant-xp", user.username, "40", "--reason", "start"]);
    const result = await coc(["grant-xp", user.username, "-50", "--reason", "too much", "--yes"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: Not enough XP");
    expect((await profile(user.token)).xp).toBe(40);
    expect((await coc(["grant-xp", user.username, "-40", "--reason", "all of it", "--yes"])).stdout).toContain("balance 0");
  });

  test("with --reference, running it twice grants once", async () => {
    const user = await newUser();
    const args = ["grant-xp", user.username, "75", "--reason", "bug bounty", "--reference", `bounty-${user.id}`];
    expect((await coc(args)).code).toBe(0);
    const again = await coc(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing granted");
    expect((await profile(user.token)).xp).toBe(75);
  });

  test("bad input: unknown user exits 1, a missing reason or a non-number exits 2", async () => {
    const unknown = await coc(["grant-xp", "nobody_here", "5", "--reason", "x"]);
    expect([unknown.code, unknown.stderr.trim()]).toEqual([1, 'error: No user "nobody_here"']);
    expect((await coc(["grant-xp", "nobody_here", "5"])).code).toBe(2);
    const user = await newUser();
    const notNumber = await coc(["grant-xp", user.username, "lots", "--reason", "x"]);
    expect(notNumber.code).toBe(1);
    expect(notNumber.stderr).toContain("amount must be a whole number");
    expect((await coc(["grant-xp", user.username, "0", "--reason", "x"])).code).toBe(1);
  });
});

describe("coc reset-streak", () => {
  test("current streak to 0, longest kept; without a terminal it needs --yes", async () => {
    const user = await newUser();
    expect((await api("POST", "/api/rewards/check-in/", { token: user.token })).status).toBe(201);
    const refused = await coc(["reset-streak", user.username]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("pass --yes");
    expect((await profile(user.token)).streak.current).toBe(1);
    const done = await coc(["reset-streak", user.username, "--yes"]);
    expect(done.code).toBe(0);
    expect(done.stdout).toBe(`${user.username}: streak 1 → 0 (longest 1 kept)\n`);
    expect(done.stderr).toContain('"msg":"streak reset"');
    expect((await profile(user.token)).streak).toMatchObject({ current: 0, longest: 1 });
  });
});

describe("coc list-users", () => {
  test("sorted by XP as JSON, searchable, and a plain table when piped", async () => {
    const rich = await newUser();
    const poor = await newUser();
    await coc(["grant-xp", rich.username, "900", "--reason", "x"]);
    await coc(["grant-xp", poor.username, "1", "--reason", "x"]);
    const listed = await coc(["list-users", "--sort", "xp", "--limit", "2", "--json"]);
    expect(listed.code).toBe(0);
    const rows = JSON.parse(listed.stdout) as { username: string; xp: number; level: number }[];
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatchObject({ username: rich.username, xp: 900, level: 5 });
    const found = JSON.parse((await coc(["list-users", "--search", poor.username, "--json"])).stdout);
    expect(found.map((row: { username: string }) => row.username)).toEqual([poor.username]);
    const table = await coc(["list-users", "--sort", "username"]);
    expect(table.stdout).toContain("username");
    expect(table.stdout).toContain(rich.username);
    expect(table.stdout).not.toContain("\u001b[");
    expect((await coc(["list-users", "--sort", "karma"])).code).toBe(2);
    expect((await coc(["list-users", "--limit", "0"])).code).toBe(2);
  });
});

describe("coc replay-payments", () => {
  test("credits captured orders that no webhook reported; a second run credits nothing", async () => {
    const user = await newUser();
    const orders: string[] = [];
    for (const amount of [99, 199, 49]) {
      const created = await api("POST", "/api/payments/create-order/", { token: user.token, json: { amount } });
      expect(created.status).toBe(201);
      orders.push(created.body.order_id);
    }
    razorpay.pay(orders[0]!);
    razorpay.pay(orders[1]!);
    razorpay.pay(orders[2]!, "failed");

    const dry = await coc(["replay-payments", "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("dry run: 2 would be credited, 1 skipped, 0 failed");
    expect((await profile(user.token)).xp).toBe(0);

    const first = await coc(["replay-payments"]);
    expect(first.stdout).toContain("2 credited, 1 skipped, 0 failed");
    expect(first.stdout).toContain(orders[0]!);
    expect((await profile(user.token)).xp).toBe(300);
    const history = (await api("GET", "/api/payments/history/", { token: user.token })).body.items;
    expect(history.map((item: { status: string }) => item.status)).toEqual(["created", "paid", "paid"]);

    const second = await coc(["replay-payments"]);
    expect(second.stdout).toContain("0 credited, 1 skipped, 0 failed");
    expect((await profile(user.token)).xp).toBe(300);

    const one = await coc(["replay-payments", "--order", orders[0]!]);
    expect(one.stdout).toContain("already paid");
    expect((await coc(["replay-payments", "--order", "order_nope"])).code).toBe(1);
    expect((await coc(["replay-payments", "--since", "yesterday"])).code).toBe(2);
  });
});

describe("accounts", () => {
  test("create-admin with --password-stdin makes an admin who can log in", async () => {
    const result = await coc(["create-admin", "ops_admin", "--email", "ops@example.com", "--password-stdin"], { stdin: "correct horse battery\n" });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^created admin ops_admin \(id \d+\)\n$/);
    const login = await api("POST", "/api/auth/login/", { json: { login: "ops_admin", password: "correct horse battery" } });
    expect(login.status).toBe(200);
    expect(login.body.user.role).toBe("admin");
    const noTerminal = await coc(["create-admin", "another_admin"]);
    expect([noTerminal.code, noTerminal.stderr.trim()]).toEqual([1, "error: No terminal to ask for the password: use --password-stdin"]);
    expect((await coc(["create-admin", "ops_admin", "--password-stdin"], { stdin: "correct horse battery" })).stderr).toContain("taken");
  });

  test("disable-user signs the user out at once; enable-user lets them back", async () => {
    const user = await newUser();
    expect((await coc(["disable-user", user.username, "--yes"])).stdout).toBe(`${user.username} is disabled\n`);
    expect((await api("GET", "/api/profiles/user/", { token: user.token })).status).toBe(403);
    expect((await api("POST", "/api/auth/refresh/", { json: { refresh_token: user.refresh } })).status).toBe(401);
    expect((await api("POST", "/api/auth/login/", { json: { login: user.username, password: "long enough" } })).status).toBe(403);
    expect((await coc(["enable-user", user.username])).stdout).toBe(`${user.username} is enabled\n`);
    expect((await api("POST", "/api/auth/login/", { json: { login: user.username, password: "long enough" } })).status).toBe(200);
  });

  test("set-role changes what the server lets the user do on their next request", async () => {
    const user = await newUser();
    expect((await coc(["set-role", user.username, "admin", "--yes"])).stdout).toBe(`${user.username} is now admin\n`);
    expect((await profile(user.token)).role).toBe("admin");
    expect((await coc(["set-role", user.username, "admin"])).stdout).toBe(`${user.username} is already admin\n`);
    expect((await coc(["set-role", user.username, "root"])).code).toBe(2);
  });
});

describe("coc migrate", () => {
  test("finds the database the server runs on up to date", async () => {
    const result = await coc(["migrate"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(testEngine === "postgres" ? "postgres: up to date" : `${database}: up to date`);
  });
});

describe("coc backup", () => {
  test.skipIf(testEngine !== "postgres")("on Postgres, explains to use pg_dump and writes nothing", async () => {
    const target = join(dir, "backup-on-postgres.db");
    const result = await coc(["backup", target]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("pg_dump");
    expect(await Bun.file(target).exists()).toBe(false);
  });

  test.skipIf(testEngine !== "sqlite")("writes a consistent copy while the server runs", async () => {
    const user = await newUser();
    const target = join(dir, `backup-${user.id}.db`);
    const result = await coc(["backup", target]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("integrity ok");
    const copy = new Database(target, { readonly: true });
    expect(copy.query("SELECT username FROM users WHERE id = ?").get(user.id)).toEqual({ username: user.username });
    copy.close();
    expect((await coc(["backup", target])).code).toBe(1);
  });
});

describe("sharing the file with the server", () => {
  test("CLI grants and HTTP check-ins and purchases at the same time: nothing lost, no lock errors", async () => {
    const user = await newUser();
    await coc(["grant-xp", user.username, "100", "--reason", "seed"]);
    const results = await Promise.all([
      ...Array.from({ length: 5 }, (_, i) => coc(["grant-xp", user.username, String(10 + i), "--reason", `parallel ${i}`])),
      api("POST", "/api/rewards/check-in/", { token: user.token }),
      api("POST", "/api/rewards/streak-freezes/", { token: user.token }),
    ]);
    for (const result of results.slice(0, 5)) expect((result as { code: number }).code).toBe(0);
    expect((results[5] as { status: number }).status).toBe(201);
    expect((results[6] as { status: number }).status).toBe(201);
    const expected = 100 + (10 + 11 + 12 + 13 + 14) + 5 - 50;
    expect((await profile(user.token)).xp).toBe(expected);
    expect(await rows("SELECT CAST(sum(amount) AS INTEGER) AS total FROM xp_ledger WHERE user_id = ?", user.id)).toEqual([{ total: expected }]);
  });
});

describe("help and confirmation", () => {
  test("every command has --help with examples", async () => {
    for (const command of ["serve", "migrate", "grant-xp", "reset-streak", "list-users", "replay-payments", "create-admin", "set-role", "disable-user", "enable-user", "backup", "import-django"]) {
      const help = await runCoc([command, "--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain("Examples:");
    }
  });

  test("on a terminal, destructive commands ask; declining changes nothing", async () => {
    const user = await newUser();
    const envForCoc = { ...engineVars, COC_JWT_SECRET: TEST_JWT_SECRET, COC_LOG_LEVEL: "error" };
    const declined = await runCoc(["disable-user", user.username], { env: envForCoc, tty: { confirm: false } });
    expect(declined.questions).toEqual([`Disable ${user.username}? They are signed out everywhere.`]);
    expect([declined.code, declined.stderr.trim()]).toEqual([1, "cancelled; nothing was changed"]);
    expect((await profile(user.token)).id).toBe(user.id);
    const confirmed = await runCoc(["reset-streak", user.username], { env: envForCoc, tty: { confirm: true } });
    expect(confirmed.questions).toEqual([`Reset the streak of ${user.username}?`]);
    expect(confirmed.code).toBe(0);
  });
});
