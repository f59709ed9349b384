import { userInfo } from "node:os";
import { type ConfigFlags, loadConfig } from "../src/config.ts";
import { type AppContext, createContext } from "../src/context.ts";
import { AppError } from "../src/errors.ts";
import { createLogger } from "../src/log.ts";
import { systemClock } from "../src/clock.ts";
import type { CliIO } from "./io.ts";

/**
 * Opens the same database and services as `coc serve`, for one admin command. Logs (the audit
 * trail of what the command changed) go to stderr as JSON lines, so stdout stays the answer.
 * Admin commands never sign tokens, so without COC_JWT_SECRET none is generated on disk for them.
 */
export async function withContext<T>(io: CliIO, flags: ConfigFlags, work: (ctx: AppContext) => Promise<T> | T): Promise<T> {
  const config = loadConfig(io.env, flags, io.cwd);
  const log = createLogger({ level: config.logLevel, clock: systemClock, write: (line) => io.stderr(line) });
  const ctx = await createContext(config.jwtSecret ? config : { ...config, jwtSecret: crypto.randomUUID() + crypto.randomUUID() }, { log });
  try {
    return await work(ctx);
  } finally {
    await ctx.close();
  }
}

/** A command that was not carried out on purpose (declined, or no terminal to ask): exit 1. */
export class Refused extends Error {
  override name = "Refused";
}

/**
 * Destructive commands confirm first: `--yes` skips the question; without a terminal and
 * without `--yes` they refuse rather than hang.
 */
export async function confirmOrRefuse(io: CliIO, yes: boolean | undefined, question: string): Promise<void> {
  if (yes) return;
  if (!io.isTTY) throw new Refused(`${question} Refusing without a terminal to ask: pass --yes to confirm.`);
  if (!(await io.confirm(question))) throw new Refused("cancelled; nothing was changed");
}

export function parseWholeNumber(text: string, name: string): number {
  if (!/^[+-]?\d+$/.test(text.trim())) throw new AppError("validation", "validation_failed", `${name} must be a whole number, got "${text}"`);
  return Number(text);
}

/** The operating-system user running the command: who an audit line names. */
export function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}
