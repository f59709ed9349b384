import { type Config, loadConfig } from "../../src/config.ts";
import { type AppContext, type ContextOverrides, createContext } from "../../src/context.ts";
import { createLogger } from "../../src/log.ts";
import { FakeClock } from "./fake-clock.ts";

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

/**
 * A fresh context on its own in-memory database (migrated), a FakeClock and a captured log.
 * `env` adds COC_* variables, exactly as a self-hoster would set them.
 */
export function createTestContext(
  options: { env?: Record<string, string>; clock?: FakeClock; overrides?: ContextOverrides } = {},
): TestContext {
  const clock = options.clock ?? new FakeClock();
  const config = loadConfig({
    COC_DATABASE: ":memory:",
    COC_DATA_DIR: "/nonexistent-coc-test-data-dir",
    COC_JWT_SECRET: TEST_JWT_SECRET,
    COC_LOG_LEVEL: "debug",
    ...options.env,
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
  const ctx = createContext(config, { clock, log, passwordCost: CHEAP_PASSWORDS, ...options.overrides });
  return { ctx, clock, config, logs, rawLogs };
}
