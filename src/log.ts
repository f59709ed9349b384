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
  /**
   * One access log line: info, or error for a 5xx. The fields are the edge's own (the path
   * already redacted), so the line is built without the redaction walk: it is written for every
   * request.
   */
  access(fields: AccessFields): void;
  /** Writes out lines held back by a buffered logger (at shutdown); nothing for others. */
  flush(): void;
}

/** An access log line's fields. */
export interface AccessFields {
  request_id: string;
  method: string;
  path: string;
  status: number;
  duration_ms: number;
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
  /**
   * Hold lines below error level back for up to this many milliseconds (or 64 KiB) and write them
   * in one go: a server writes an access line per request, and a write per line cost it a fifth of
   * a small request. Error lines are written at once, after whatever was held back.
   */
  bufferMs?: number;
}

const BUFFER_LIMIT = 64 * 1024;

/** Where the lines of a logger and its children go, in order. */
function lineSink(options: LoggerOptions) {
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  if (options.bufferMs === undefined) return { put: (line: string) => write(line), flush: () => {} };
  let held = "";
  let timer: Timer | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (held === "") return;
    const out = held;
    held = "";
    write(out);
  };
  return {
    put(line: string, urgent = false) {
      held += line;
      if (urgent || held.length >= BUFFER_LIMIT) flush();
      else if (!timer) {
        timer = setTimeout(flush, options.bufferMs);
        timer.unref?.();
      }
    },
    flush,
  };
}

/**
 * JSON-lines logger. Values under secret-looking keys (password, token, secret, authorization,
 * signature, code …) are replaced with "[redacted]" before anything is written.
 */
export function createLogger(options: LoggerOptions, base: LogFields = {}, sink = lineSink(options)): Logger {
  const threshold = RANK[options.level];
  const emit = (level: LogLevel, msg: string, fields?: LogFields) => {
    if (RANK[level] < threshold) return;
    const record = redact({ ...base, ...fields }) as LogFields;
    sink.put(`${JSON.stringify({ time: options.clock.now().toISOString(), level, msg, ...record })}\n`, level === "error");
  };
  // Access lines come many to a millisecond: the time's text is made once per millisecond.
  let lastMs = -1;
  let lastText = "";
  const time = () => {
    const now = options.clock.now();
    const ms = now.getTime();
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = now.toISOString();
    }
    return lastText;
  };
  const baseText = Object.keys(base).length > 0 ? `,${JSON.stringify(redact(base)).slice(1, -1)}` : "";
  return {
    debug: (msg, fields) => emit("debug", msg, fields),
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
    child: (fields) => createLogger(options, { ...base, ...fields }, sink),
    enabled: (level) => RANK[level] >= threshold,
    access(f) {
      const level: LogLevel = f.status >= 500 ? "error" : "info";
      if (RANK[level] < threshold) return;
      // The id (checked against [A-Za-z0-9._:-]) and the method (an HTTP token) need no escaping.
      sink.put(
        `{"time":"${time()}","level":"${level}","msg":"request"${baseText},"request_id":"${f.request_id}","method":"${f.method}","path":${JSON.stringify(f.path)},"status":${f.status},"duration_ms":${f.duration_ms}}\n`,
        level === "error",
      );
    },
    flush: sink.flush,
  };
}
