import type { Clock } from "./clock.ts";
import type { LogLevel } from "./config.ts";

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (a request id, a command name). */
  child(fields: LogFields): Logger;
  /** Whether lines of `level` are written (to skip building fields that would be dropped). */
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keys whose values never reach a log line, whatever their nesting. */
const SECRET_KEY = /pass(word)?|secret|token|authorization|cookie|signature|api[_-]?key|^code$|^code_verifier$|^state$/i;

export const REDACTED = "[redacted]";

/** Replaces every query value with [redacted]: tokens travel in query strings (`/ws/chat/?token=`). */
export function redactUrl(pathWithQuery: string): string {
  const at = pathWithQuery.indexOf("?");
  if (at < 0) return pathWithQuery;
  const query = pathWithQuery
    .slice(at + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      return eq < 0 ? pair : `${pair.slice(0, eq)}=${REDACTED}`;
    })
    .join("&");
  return `${pathWithQuery.slice(0, at)}?${query}`;
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (value instanceof Error) {
    return { name: value.name, message: value.message, stack: value.stack };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return out;
}

export interface LoggerOptions {
  level: LogLevel;
  clock: Clock;
  /** Where each JSON line goes; stdout by default. */
  write?: (line: string) => void;
}

/**
 * JSON-lines logger. Values under secret-looking keys (password, token, secret, authorization,
 * signature, code …) are replaced with "[redacted]" before anything is written.
 */
export function createLogger(options: LoggerOptions, base: LogFields = {}): Logger {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const threshold = RANK[options.level];
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    write(`${JSON.stringify({ time: options.clock.now().toISOString(), level, msg, ...record })}\n`);
  };
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }),
    enabled: (level) => RANK[level] >= threshold,
  };
}
