import { type Config, loadConfig } from "../../src/config.ts";
import { type AppContext, type ContextOverrides, createContext } from "../../src/context.ts";
import { createLogger } from "../../src/log.ts";
import { FakeClock } from "./fake-clock.ts";
import { freshPostgresDatabase, freshPrefix, recyclePostgresDatabase, testEngine, testRedisUrl } from "./services.ts";

export const CHEAP_PASSWORDS = { memoryCost: 256, timeCost: 1 };

export const TEST_JWT_SECRET = "test-secret-0123456789abcdefghijklmnopqrstuvwxyz";

export interface TestContext {
  ctx: AppContext;
  clock: FakeClock;
  config: Config;
  /** Every log line written, parsed. */
  logs: Record<string, unknown>[];
  /** Every log line as written (to look for leaked secrets). */
  rawLogs: string[];
}

/** Contexts opened inside the running test (not in a beforeAll): closed after it (see preload.ts). */
const opened: AppContext[] = [];
let testScoped = false;

/** Called by the preload's global hooks around every test. */
export async function aroundEachTest(phase: "before" | "after"): Promise<void> {
  testScoped = phase === "before";
  if (phase === "after") await Promise.allSettled(opened.splice(0).map(closeAndRecycle));
}

/** Closes a test's context; its Postgres database, when no other context shares it, is emptied for the next test. */
async function closeAndRecycle(ctx: AppContext): Promise<void> {
  const url = ctx.config.databaseUrl;
  if (!url || !ctx.postgres || shared.has(url)) return ctx.close();
  try {
    await ctx.writer.flush();
    await recyclePostgresDatabase(url, ctx.postgres);
  } catch {
    // Closed by the test already, or left unusable: a new database serves the next test.
  }
  await ctx.close();
}

const postgresFor = new Map<string, Promise<string>>();
/** Databases several contexts share (a test that names a SQLite file): never recycled. */
const shared = new Set<string>();

/**
 * The COC_* variables that put a test's context on the engine the suite runs on. On SQLite, the
 * test's own (an in-memory database unless it names a file). On PostgreSQL (COC_TEST_ENGINE), a
 * fresh database copied from the migrated template — one per SQLite file a test names, so contexts
 * a test opens on one file share one database — and Redis under a prefix of its own.
 */
export async function engineEnv(env: Record<string, string> = {}): Promise<Record<string, string>> {
  if (testEngine === "sqlite") return { COC_DATABASE: ":memory:", ...env };
  const { COC_DATABASE: file, ...rest } = env;
  let url: Promise<string>;
  if (file && file !== ":memory:") {
    url = postgresFor.get(file) ?? freshPostgresDatabase();
    postgresFor.set(file, url);
    shared.add(await url);
  } else {
    url = freshPostgresDatabase();
  }
  return { COC_DATABASE_URL: await url, COC_REDIS_URL: await testRedisUrl(), COC_REDIS_PREFIX: prefixFor(file), ...rest };
}

const prefixes = new Map<string, string>();

/** Contexts on one database share one Redis prefix too (they are instances of one community). */
function prefixFor(file: string | undefined): string {
  if (!file || file === ":memory:") return freshPrefix();
  const prefix = prefixes.get(file) ?? freshPrefix();
  prefixes.set(file, prefix);
  return prefix;
}

/**
 * A fresh context on its own database (migrated), a FakeClock and a captured log: in memory on
 * SQLite, or a fresh PostgreSQL database with Redis when the suite runs on that engine.
 * `env` adds COC_* variables, exactly as a self-hoster would set them.
 */
export async function createTestContext(
  options: { env?: Record<string, string>; clock?: FakeClock; overrides?: ContextOverrides } = {},
): Promise<TestContext> {
  const clock = options.clock ?? new FakeClock();
  const config = loadConfig({
    ...(testEngine === "postgres" ? { COC_DATABASE_POOL: "8" } : {}),
    COC_DATA_DIR: "/nonexistent-coc-test-data-dir",
    COC_JWT_SECRET: TEST_JWT_SECRET,
    COC_LOG_LEVEL: "debug",
    ...(await engineEnv(options.env)),
  });
  const logs: Record<string, unknown>[] = [];
  const rawLogs: string[] = [];
  const log = createLogger({
    level: config.logLevel,
    clock,
    write: (line) => {
      rawLogs.push(line);
      logs.push(JSON.parse(line));
    },
  });
  // argon2id still, at a cost that keeps a suite of hundreds of logins fast.
  // On Postgres every database handed out is migrated already (a copy of the template, or emptied).
  const ctx = await createContext(config, { clock, log, passwordCost: CHEAP_PASSWORDS, ...(testEngine === "postgres" ? { migrate: false } : {}), ...options.overrides });
  if (testScoped) opened.push(ctx);
  return { ctx, clock, config, logs, rawLogs };
}

/**
 * Rows of a query a test writes once for both engines: `?` placeholders, plain SQL both accept
 * (count with CAST(count(*) AS INTEGER), so both answer a number). Rows come back as plain objects.
 */
export async function query<R = Record<string, unknown>>(ctx: AppContext, text: string, ...params: unknown[]): Promise<R[]> {
  if (ctx.sqlite) return ctx.sqlite.query(text).all(...(params as never[])) as R[];
  let n = 0;
  const rows = (await ctx.postgres!.unsafe(text.replace(/\?/g, () => `$${++n}`), params)) as Record<string, unknown>[];
  return rows.map((row) => ({ ...row }) as R);
}

/** The first row of `query`. */
export async function queryOne<R = Record<string, unknown>>(ctx: AppContext, text: string, ...params: unknown[]): Promise<R | undefined> {
  return (await query<R>(ctx, text, ...params))[0];
}
