/**
 * Shared pieces of the benchmarks: a load generator (wrk, from Debian's packages: it costs the
 * least CPU of the generators measured here, which matters when it shares 2 cores with the
 * server), the compiled server started on a seeded database, and bare baselines.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { signJwt } from "../../src/auth/jwt.ts";
import { migrate } from "../../src/db/migrate.ts";
import { PAGE_CACHE_KIB } from "../../src/db/client.ts";
import type { WriterStats } from "../../src/db/writer.ts";

export const BENCH_SECRET = "bench-secret-0123456789abcdefghijklmnopqrstuvwxyz";

export interface LoadResult {
  subject: string;
  requests_per_second: number;
  p50_ms: number;
  p99_ms: number;
  non_2xx: number;
  requests: number;
}

/** Makes sure wrk is here (apt-get on this kind of machine), once. */
export function ensureWrk(): void {
  if (Bun.which("wrk")) return;
  const install = Bun.spawnSync(["bash", "-c", "apt-get update -qq && apt-get install -y -qq wrk"], { stdout: "inherit", stderr: "inherit" });
  if (install.exitCode !== 0 || !Bun.which("wrk")) throw new Error("wrk is needed for the HTTP benchmarks: apt-get install wrk");
}

function parseMs(text: string): number {
  const match = /([\d.]+)(us|ms|s)/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return match[2] === "us" ? value / 1000 : match[2] === "s" ? value * 1000 : value;
}

type WrkOptions = { threads?: number; connections?: number; seconds?: number; script?: string; env?: Record<string, string> };

/** wrk's command line; the Lua script, when there is one, in a temp folder the caller removes. */
function wrkArgs(url: string, options: WrkOptions): { args: string[]; scriptDir: string | undefined } {
  const args = ["wrk", `-t${options.threads ?? 1}`, `-c${options.connections ?? 64}`, `-d${options.seconds ?? 5}s`, "--latency"];
  let scriptDir: string | undefined;
  if (options.script) {
    scriptDir = mkdtempSync(join(tmpdir(), "coc-wrk-"));
    const path = join(scriptDir, "script.lua");
    writeFileSync(path, options.script);
    args.push("-s", path);
  }
  args.push(url);
  return { args, scriptDir };
}

/** The figures of wrk's report. */
function wrkResult(subject: string, out: string): LoadResult {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? "0");
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? "0");
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? "0");
  const p50 = parseMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = parseMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  return { subject, requests_per_second: Math.round(rps), p50_ms: Math.round(p50 * 100) / 100, p99_ms: Math.round(p99 * 100) / 100, non_2xx: non2xx, requests };
}

/** Drives `url` with wrk (`threads`, `connections`, `seconds`), optionally with a Lua script. */
export function wrk(subject: string, url: string, options: WrkOptions = {}): LoadResult {
  const { args, scriptDir } = wrkArgs(url, options);
  const run = Bun.spawnSync(args, { env: { ...process.env, ...options.env } });
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  const out = run.stdout.toString();
  if (run.exitCode !== 0) throw new Error(`wrk failed: ${run.stderr.toString()}`);
  return wrkResult(subject, out);
}

/** `wrk` as a child process, without blocking this one: several may load several servers at once. */
export async function wrkAsync(subject: string, url: string, options: WrkOptions = {}): Promise<LoadResult> {
  const { args, scriptDir } = wrkArgs(url, options);
  const child = Bun.spawn(args, { env: { ...process.env, ...options.env }, stdout: "pipe", stderr: "pipe" });
  const [out, code] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  if (scriptDir) rmSync(scriptDir, { recursive: true, force: true });
  if (code !== 0) throw new Error(`wrk failed: ${await new Response(child.stderr).text()}`);
  return wrkResult(subject, out);
}

/** A Lua script that sends each request with the next bearer token from a file (distinct users). */
export function tokenRotationScript(method: string, path: string, body?: string): string {
  const headers = body ? `["Content-Type"]="application/json", ` : `["Content-Length"]="0", `;
  return `
local tokens = {}
for line in io.lines(os.getenv("COC_BENCH_TOKENS")) do tokens[#tokens + 1] = line end
local i = 0
request = function()
  i = i + 1
  local token = tokens[((i - 1) % #tokens) + 1]
  return wrk.format("${method}", "${path}", { ${headers}["Authorization"] = "Bearer " .. token }, ${body ? JSON.stringify(body) : "nil"})
end
`;
}

export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

/** Waits until `url` answers 2xx (or, with `anyAnswer`, anything at all). */
export async function waitForHealthy(url: string, timeoutMs = 15_000, anyAnswer = false): Promise<void> {
  const started = performance.now();
  for (;;) {
    try {
      const answer = await fetch(url);
      if (answer.ok || anyAnswer) return;
    } catch {
      // not yet
    }
    if (performance.now() - started > timeoutMs) throw new Error(`${url} did not answer`);
    await Bun.sleep(20);
  }
}

export interface SeedOptions {
  /** Ledger entries and check-ins of history per user (realistic data, not used by the scenarios). */
  historyPerUser?: number;
  chatMessages?: number;
  /** One unpaid Razorpay order per user, for verify-payment. */
  orders?: boolean;
}

export const BENCH_RAZORPAY_SECRET = "bench-razorpay-secret";

/**
 * A database with `count` users (each with a profile), optionally with ledger and check-in
 * history, chat messages and unpaid orders, written in one transaction — seeding only; the product
 * creates all of these through its services. Also writes a file of one access token per user, and
 * (with orders) one line `token|order_id|payment_id|signature` per user.
 */
export function seedUsers(dir: string, count: number, options: SeedOptions = {}): { database: string; tokensFile: string; ordersFile: string | null; userIds: number[] } {
  const database = join(dir, "bench.db");
  const sqlite = new Database(database, { create: true });
  sqlite.run("PRAGMA journal_mode = WAL");
  migrate(sqlite);
  const now = Date.now();
  const day = 86_400_000;
  const userIds: number[] = [];
  const history = options.historyPerUser ?? 0;
  const insertUser = sqlite.prepare<{ id: number }, [string, number]>("INSERT INTO users (username, created_at, updated_at) VALUES (?1, ?2, ?2) RETURNING id");
  const insertProfile = sqlite.prepare("INSERT INTO profiles (user_id, referral_code, updated_at, xp, current_streak, longest_streak, last_check_in) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const insertLedger = sqlite.prepare("INSERT INTO xp_ledger (user_id, amount, source, reference, balance_after, actor, created_at) VALUES (?, ?, 'check_in', ?, ?, 'seed', ?)");
  const insertCheckIn = sqlite.prepare("INSERT INTO check_ins (user_id, date, timezone, streak_day, cycle_day, xp_earned, created_at) VALUES (?, ?, 'UTC', ?, ?, ?, ?)");
  const insertChat = sqlite.prepare("INSERT INTO chat_messages (user_id, message, created_at) VALUES (?, ?, ?)");
  const insertOrder = sqlite.prepare("INSERT INTO payments (order_id, user_id, amount_paise, currency, xp, status, receipt, created_at, updated_at) VALUES (?, ?, 9900, 'INR', 100, 'created', ?, ?, ?)");
  // Each user signed in once: a session (refresh-token family) that the access token names, as the product issues them.
  const insertSession = sqlite.prepare("INSERT INTO refresh_tokens (user_id, family_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)");
  const orderLines: string[] = [];
  const tokens: string[] = [];
  const iat = Math.floor(now / 1000);
  sqlite.transaction(() => {
    for (let i = 0; i < count; i++) {
      const { id } = insertUser.get(`bench_user_${i}`, now)!;
      let balance = 0;
      // History ends two days ago, so today's check-in is a first one (a broken streak restarts).
      for (let h = 0; h < history; h++) {
        const date = new Date(now - (history - h + 1) * day).toISOString().slice(0, 10);
        const cycle = (h % 7) + 1;
        balance += cycle * 5;
        insertLedger.run(id, cycle * 5, `${id}:${date}`, balance, now - (history - h + 1) * day);
        insertCheckIn.run(id, date, h + 1, cycle, cycle * 5, now - (history - h + 1) * day);
      }
      const lastDate = history > 0 ? new Date(now - 2 * day).toISOString().slice(0, 10) : null;
      insertProfile.run(id, `B${i.toString(32).toUpperCase().padStart(7, "0")}`, now, balance, history, history, lastDate);
      userIds.push(id);
      const sid = crypto.randomUUID();
      insertSession.run(id, sid, new Bun.CryptoHasher("sha256").update(sid).digest("hex"), now, now + 30 * day);
      const token = signJwt({ sub: String(id), role: "user", iat, exp: iat + 3600, sid }, BENCH_SECRET);
      tokens.push(token);
      if (options.orders) {
        const orderId = `order_bench${id.toString(36).padStart(8, "0")}`;
        const paymentId = `pay_bench${id.toString(36).padStart(8, "0")}`;
        insertOrder.run(orderId, id, `bench_${id}`, now, now);
        const signature = new Bun.CryptoHasher("sha256", BENCH_RAZORPAY_SECRET).update(`${orderId}|${paymentId}`).digest("hex");
        orderLines.push(`${token}|${orderId}|${paymentId}|${signature}`);
      }
    }
    for (let m = 0; m < (options.chatMessages ?? 0); m++) {
      insertChat.run(userIds[m % userIds.length]!, `seeded message ${m}: ${"lorem ipsum ".repeat(1 + (m % 8))}`, now - (options.chatMessages! - m) * 1000);
    }
  })();
  sqlite.close();
  const tokensFile = join(dir, "tokens.txt");
  writeFileSync(tokensFile, `${tokens.join("\n")}\n`);
  let ordersFile: string | null = null;
  if (options.orders) {
    ordersFile = join(dir, "orders.txt");
    writeFileSync(ordersFile, `${orderLines.join("\n")}\n`);
  }
  return { database, tokensFile, ordersFile, userIds };
}

/** A Lua script that posts a verify-payment body built from the next line of COC_BENCH_ORDERS. */
export const VERIFY_SCRIPT = `
local lines = {}
for line in io.lines(os.getenv("COC_BENCH_ORDERS")) do lines[#lines + 1] = line end
local i = 0
request = function()
  i = i + 1
  local token, order, payment, signature = lines[((i - 1) % #lines) + 1]:match("([^|]+)|([^|]+)|([^|]+)|([^|]+)")
  local body = '{"razorpay_order_id":"' .. order .. '","razorpay_payment_id":"' .. payment .. '","razorpay_signature":"' .. signature .. '"}'
  return wrk.format("POST", "/api/payments/verify-payment/", { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token }, body)
end
`;

/** The p-th percentile of sorted numbers (NaN for none). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function rssMb(pid: number): number {
  const status = require("node:fs").readFileSync(`/proc/${pid}/status`, "utf8") as string;
  return Math.round((Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0") / 1024) * 10) / 10;
}

/** Starts dist/coc on `database` and a free port; answers its base URL and a stop function. Its log goes to a file beside the database. */
export async function startCoc(root: string, database: string, env: Record<string, string> = {}) {
  const port = freePort();
  const logFile = join(database, "..", `coc-${port}.log`);
  const where = env.COC_DATABASE_URL ? [] : ["--database", database];
  const child = Bun.spawn([join(root, "dist/coc"), "serve", "--port", String(port), "--host", "127.0.0.1", ...where], {
    // The defaults a self-hoster runs with (info logs included), plus the bench's secrets.
    env: {
      PATH: process.env.PATH ?? "",
      COC_JWT_SECRET: BENCH_SECRET,
      COC_DATA_DIR: join(database, ".."),
      COC_RAZORPAY_KEY_ID: "rzp_test_bench",
      COC_RAZORPAY_KEY_SECRET: BENCH_RAZORPAY_SECRET,
      // Never called by the scenarios: verify-payment checks signatures locally.
      COC_RAZORPAY_BASE_URL: "http://127.0.0.1:9",
      ...env,
    },
    stdout: Bun.file(logFile),
    stderr: "inherit",
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealthy(`${base}/healthz`);
  return {
    base,
    pid: child.pid,
    /** Stops the server; answers the writer's batch statistics from its last log line. */
    async stop(): Promise<WriterStats | null> {
      child.kill("SIGTERM");
      await child.exited;
      const line = readFileSync(logFile, "utf8")
        .split("\n")
        .reverse()
        .find((text) => text.includes('"msg":"writer batches"'));
      return line ? (JSON.parse(line) as WriterStats) : null;
    },
  };
}

/**
 * The least work an authenticated profile read needs, on bare Bun: an HS256 check with a sync HMAC
 * (node:crypto createHmac + timingSafeEqual), two prepared primary-key reads (the user, the profile)
 * from the seeded SQLite, and a JSON answer of ~15 members. Its connection gets the same page cache
 * as coc's (a setting, not work): the ratio is then about the work around the read.
 */
function profileWorkBaseline(port: number, database: string): string {
  return `import { Database } from "bun:sqlite";
import { createHmac, timingSafeEqual } from "node:crypto";
const db = new Database(${JSON.stringify(database)}, { readonly: true });
db.run("PRAGMA cache_size = -${PAGE_CACHE_KIB}");
const user = db.prepare("SELECT id, username, email, role, disabled, created_at FROM users WHERE id = ?");
const profile = db.prepare("SELECT avatar_url, banner_url, bio, timezone, links, xp, current_streak, longest_streak, streak_freezes, last_check_in, referral_code FROM profiles WHERE user_id = ?");
const secret = ${JSON.stringify(BENCH_SECRET)};
const refuse = () => new Response("unauthorized", { status: 401 });
Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch(request) {
  const token = (request.headers.get("authorization") ?? "").slice(7);
  const [h, p, sig] = token.split(".");
  if (!sig) return refuse();
  const expected = createHmac("sha256", secret).update(h + "." + p).digest();
  const given = Buffer.from(sig, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return refuse();
  const claims = JSON.parse(Buffer.from(p, "base64url").toString());
  if (claims.exp * 1000 <= Date.now()) return refuse();
  const u = user.get(Number(claims.sub));
  const pr = profile.get(Number(claims.sub));
  if (!u || !pr || u.disabled) return refuse();
  return Response.json({ id: u.id, username: u.username, email: u.email, role: u.role, avatar_url: pr.avatar_url, banner_url: pr.banner_url, bio: pr.bio,
    timezone: pr.timezone, links: JSON.parse(pr.links), xp: pr.xp, streak: { current: pr.current_streak, longest: pr.longest_streak, freezes: pr.streak_freezes, last_check_in: pr.last_check_in },
    referral_code: pr.referral_code, created_at: new Date(u.created_at).toISOString() });
} });`;
}

/** Baseline W on Postgres: the same least work of a profile read, the two reads through Bun.SQL (a pool of 20, as coc's). */
function postgresProfileWorkBaseline(port: number, url: string): string {
  return profileWorkBaseline(port, ":unused:")
    .replace(/^import \{ Database \} from "bun:sqlite";\n/, `import { SQL } from "bun";\n`)
    .replace(/const db = new Database\([^;]*;\ndb\.run\([^;]*;\n/, `const sql = new SQL({ url: ${JSON.stringify(url)}, max: 20 });\n`)
    .replace(/const user = db\.prepare\(("[^"]*")\);/, (_, text) => `const userSql = ${text.replace("?", "$1")};`)
    .replace(/const profile = db\.prepare\(("[^"]*")\);/, (_, text) => `const profileSql = ${text.replace("?", "$1")};`)
    .replace("fetch(request) {", "async fetch(request) {")
    .replace("const u = user.get(Number(claims.sub));", "const [[u], [pr0]] = await Promise.all([sql.unsafe(userSql, [Number(claims.sub)]), sql.unsafe(profileSql, [Number(claims.sub)])]);")
    .replace("const pr = profile.get(Number(claims.sub));", "const pr = pr0;")
    .replace("new Date(u.created_at)", "new Date(Number(u.created_at))");
}

/** Baseline B on Postgres: one write transaction per request (a ledger insert and a balance upsert), Postgres's durable defaults. */
function postgresWriteBaseline(port: number, url: string): string {
  return `import { SQL } from "bun";
const sql = new SQL({ url: ${JSON.stringify(url)}, max: 20 });
await sql.unsafe("CREATE TABLE IF NOT EXISTS baseline_ledger (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int, amount int, created_at bigint)");
await sql.unsafe("CREATE TABLE IF NOT EXISTS baseline_balances (user_id int PRIMARY KEY, xp int)");
let n = 0;
Bun.serve({ port: ${port}, hostname: "127.0.0.1", async fetch() {
  const user = ++n % 10000;
  await sql.begin(async (tx) => {
    await tx.unsafe("INSERT INTO baseline_ledger (user_id, amount, created_at) VALUES ($1, 5, $2)", [user, Date.now()]);
    await tx.unsafe("INSERT INTO baseline_balances (user_id, xp) VALUES ($1, 5) ON CONFLICT (user_id) DO UPDATE SET xp = baseline_balances.xp + 5", [user]);
  });
  return Response.json({ ok: true });
} });`;
}

/**
 * Baseline A: bare Bun.serve answering a small JSON; baseline B: one bun:sqlite write transaction
 * per request; baseline W: the least work of an authenticated profile read (needs `database`).
 */
export async function startBaseline(kind: "json" | "sqlite-write" | "profile-work" | "pg-profile-work" | "pg-write", dir: string, database?: string) {
  const port = freePort();
  const script = join(dir, `baseline-${kind}.ts`);
  writeFileSync(
    script,
    kind === "pg-profile-work"
      ? postgresProfileWorkBaseline(port, database!)
      : kind === "pg-write"
        ? postgresWriteBaseline(port, database!)
        : kind === "json"
      ? `Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch: () => Response.json({ status: "ok", db: "ok", version: "0.0.0" }) });`
      : kind === "profile-work"
        ? profileWorkBaseline(port, database!)
        : `import { Database } from "bun:sqlite";
const db = new Database(${JSON.stringify(join(dir, "baseline.db"))}, { create: true });
db.run("PRAGMA journal_mode = WAL"); db.run("PRAGMA synchronous = FULL"); db.run("PRAGMA busy_timeout = 5000");
db.run("CREATE TABLE IF NOT EXISTS ledger (id INTEGER PRIMARY KEY, user_id INTEGER, amount INTEGER, created_at INTEGER)");
db.run("CREATE TABLE IF NOT EXISTS balances (user_id INTEGER PRIMARY KEY, xp INTEGER)");
const insert = db.prepare("INSERT INTO ledger (user_id, amount, created_at) VALUES (?, 5, ?)");
const update = db.prepare("INSERT INTO balances (user_id, xp) VALUES (?, 5) ON CONFLICT (user_id) DO UPDATE SET xp = xp + 5");
let n = 0;
const write = db.transaction((user) => { insert.run(user, Date.now()); update.run(user); });
Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch: () => { write.immediate(++n % 10000); return Response.json({ ok: true }); } });`,
  );
  const child = Bun.spawn([process.execPath, script], { stdout: "ignore", stderr: "inherit" });
  const base = `http://127.0.0.1:${port}`;
  await waitForHealthy(base, 15_000, true);
  return {
    base,
    async stop() {
      child.kill("SIGTERM");
      await child.exited;
    },
  };
}

/** A Lua script that GETs `/api/profiles/<username>/` for the seeded users in turn (public reads, no token). */
export function publicProfileScript(users: number): string {
  return `
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", "/api/profiles/bench_user_" .. ((i - 1) % ${users}) .. "/")
end
`;
}
