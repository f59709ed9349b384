import { existsSync, realpathSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { DEFAULT_OAUTH_STARTS_PER_ADDRESS, DEFAULT_REGISTRATIONS_PER_ADDRESS, type RateRule } from "./auth/throttle.ts";
import { type BucketRule, DEFAULT_CHAT_RATE } from "./chat/rate-limit.ts";
import { DEFAULT_XP_PACKAGES, type XpPackage } from "./payments/packages.ts";
import { DEFAULT_FREEZE_CAP, DEFAULT_FREEZE_COST, DEFAULT_REWARD_TABLE, type RewardRules } from "./rewards/rules.ts";
import { DEFAULT_REFERRAL_DAILY_CAP } from "./users/rules.ts";

/** One OAuth application's credentials and endpoints; absent when the provider is off. */
export interface GithubConfig {
  clientId: string;
  clientSecret: string;
  webUrl: string;
  apiUrl: string;
}
export interface GoogleConfig {
  clientId: string;
  clientSecret: string;
  issuer: string;
}
export interface DiscordConfig {
  clientId: string;
  clientSecret: string;
  baseUrl: string;
}
export interface RazorpayConfig {
  keyId: string;
  keySecret: string;
  webhookSecret: string | null;
  baseUrl: string;
}

export type LogLevel = "debug" | "info" | "warn" | "error";



export interface Config {
  port: number;
  host: string;
  /** Absolute path of the folder that holds the database file and generated secrets. */
  dataDir: string;
  /** Absolute path of the SQLite file, or `:memory:` (unused when `databaseUrl` is set). */
  database: string;
  /** A PostgreSQL URL (COC_DATABASE_URL): the database of every instance, instead of the SQLite file. Never logged: it may hold a password. */
  databaseUrl: string | null;
  /** Connections each instance keeps to Postgres at most (COC_DATABASE_POOL, default 20). */
  databasePool: number;
  /** Given by COC_JWT_SECRET, or null: then one is generated into the data dir (see secrets.ts). */
  jwtSecret: string | null;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  corsOrigins: readonly string[];
  oauthRedirectUris: readonly string[];
  /** Proxies whose X-Forwarded-For is believed: IP addresses, or "loopback". */
  trustedProxies: readonly string[];
  /** The public base URL clients reach this server at (links; HSTS when https), or null. */
  publicUrl: string | null;
  /** Password registrations allowed per client address. */
  registrationsPerAddress: RateRule;
  /** OAuth sign-ins that may be started per client address. */
  oauthStartsPerAddress: RateRule;
  /** Referral rewards one referrer may receive in 24 hours (the people who redeem always get theirs). */
  referralDailyCap: number;
  github: GithubConfig | null;
  google: GoogleConfig | null;
  discord: DiscordConfig | null;
  razorpay: RazorpayConfig | null;
  logLevel: LogLevel;
  rewards: RewardRules;
  /** Chat flood control per user: a burst, then a sustained rate. */
  chatRate: BucketRule;
  /** The XP packages on sale, cheapest first. */
  packages: readonly XpPackage[];
  /** Largest request body accepted, in bytes (1 MiB). */
  maxBodyBytes: number;
  /** Largest uploaded image (avatar, banner), in bytes. */
  maxUploadBytes: number;
  /** A built single-page web app to serve from this folder (COC_WEB_ROOT / --web), or null. */
  webRoot: string | null;
  /** The Content-Security-Policy of the web app's pages. */
  webCsp: string;
  /** The bearer token GET /metrics requires (COC_METRICS_TOKEN); null: no /metrics at all. */
  metricsToken: string | null;
  /** Redis shared by every instance (COC_REDIS_URL): chat fan-out and throttles; null: this process alone. */
  redisUrl: string | null;
  /** What this community's Redis keys and channels start with (COC_REDIS_PREFIX): communities can share one Redis. */
  redisPrefix: string;
}

/** Flags of `coc serve` / `coc migrate`; each overrides its environment variable. */
export interface ConfigFlags {
  port?: number;
  host?: string;
  dataDir?: string;
  database?: string;
  web?: string;
}

/**
 * The web app's pages may load their own scripts and styles, talk to this server (HTTP and its
 * WebSocket), show images from anywhere (avatars on providers' hosts), open provider popups, and
 * run Razorpay Checkout (its script, frames and API).
 */
export const DEFAULT_WEB_CSP =
  "default-src 'self'; script-src 'self' https://checkout.razorpay.com; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data: blob: https:; font-src 'self' data:; connect-src 'self' ws: wss: https://api.razorpay.com https://lumberjack.razorpay.com; " +
  "frame-src https://api.razorpay.com https://checkout.razorpay.com; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/** A bad setting, named by its variable, so a self-hoster sees what to fix. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const DURATION = /^(\d+)(s|m|h|d)?$/;
const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** Parses `10/1h` (10 per hour), `60/10m` … into a limit and a window. */
export function parseRate(variable: string, text: string): RateRule {
  const [count, per, ...rest] = text.split("/");
  const limit = /^\d+$/.test(count?.trim() ?? "") ? Number(count) : Number.NaN;
  if (per === undefined || rest.length > 0 || !Number.isSafeInteger(limit) || limit < 1) {
    throw new ConfigError(variable, `expected a count per duration like 10/1h, got "${text}"`);
  }
  return { limit, windowMs: parseDuration(variable, per) * 1000 };
}

/** Parses `90`, `90s`, `15m`, `12h`, `30d` into seconds. */
export function parseDuration(variable: string, text: string): number {
  const match = DURATION.exec(text.trim());
  const amount = match ? Number(match[1]) : Number.NaN;
  if (!match || !Number.isSafeInteger(amount) || amount <= 0) {
    throw new ConfigError(variable, `expected a duration like 15m, 12h or 30d, got "${text}"`);
  }
  return amount * UNIT_SECONDS[(match[2] ?? "s") as keyof typeof UNIT_SECONDS];
}

export function parsePort(variable: string, text: string): number {
  const port = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(variable, `expected a port number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/** True for hosts that never leave this machine: where plain http is acceptable. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/**
 * Validates a provider base URL: https anywhere, plain http only on a loopback host
 * (tests and local fakes). The answer has no trailing slash.
 */
export function parseProviderUrl(variable: string, text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new ConfigError(variable, `expected an absolute URL, got "${text}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ConfigError(variable, `expected an http(s) URL, got "${text}"`);
  }
  if (url.protocol === "http:" && !isLoopbackHost(url.hostname)) {
    throw new ConfigError(variable, `plain http is allowed only on a loopback host; use https for "${url.host}"`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ConfigError(variable, "must not carry credentials, a query or a fragment");
  }
  return url.href.replace(/\/+$/, "");
}

function parseList(text: string | undefined): string[] {
  return (text ?? "")
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}

function parseOrigins(variable: string, text: string | undefined): string[] {
  return parseList(text).map((item) => {
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(variable, `expected origins like https://app.example.com, got "${item}"`);
    }
    if ((url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== item.replace(/\/$/, "")) {
      throw new ConfigError(variable, `expected an origin (scheme://host[:port], no path), got "${item}"`);
    }
    return url.origin;
  });
}

/** The placeholder a redirect URI may hold for the provider's name (`…/auth/{provider}/callback`). */
export const PROVIDER_PLACEHOLDER = "{provider}";

function parseRedirectUris(variable: string, text: string | undefined): string[] {
  return parseList(text).map((item) => {
    let url: URL;
    try {
      url = new URL(item.replaceAll(PROVIDER_PLACEHOLDER, "provider"));
    } catch {
      throw new ConfigError(variable, `expected absolute URLs, got "${item}"`);
    }
    if (url.protocol !== "https:" && !(url.protocol === "http:" && isLoopbackHost(url.hostname))) {
      throw new ConfigError(variable, `"${item}" must be https (plain http only on a loopback host)`);
    }
    if (url.hash) throw new ConfigError(variable, `"${item}" must not have a fragment`);
    const at = item.indexOf(PROVIDER_PLACEHOLDER);
    const pathStart = item.indexOf("/", item.indexOf("//") + 2);
    if (at >= 0 && (pathStart < 0 || at < pathStart)) throw new ConfigError(variable, `"${item}": ${PROVIDER_PLACEHOLDER} may stand only in the path`);
    return item.includes(PROVIDER_PLACEHOLDER) ? item : url.href;
  });
}

/** COC_PUBLIC_URL: an absolute http(s) base URL without query or fragment; kept without a trailing slash. */
function parsePublicUrl(variable: string, text: string | undefined): string | null {
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(variable, `expected an absolute URL like https://coc.example.com, got "${text}"`);
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
    throw new ConfigError(variable, `expected an http(s) URL with no credentials, query or fragment, got "${text}"`);
  }
  return url.href.replace(/\/+$/, "");
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

function parseProxies(variable: string, text: string | undefined): string[] {
  return parseList(text).map((item) => {
    const entry = item.toLowerCase();
    if (entry === "loopback" || IPV4.test(entry) || (entry.includes(":") && /^[0-9a-f:.]+$/.test(entry))) return entry;
    throw new ConfigError(variable, `expected IP addresses or "loopback", got "${item}"`);
  });
}

/** Reads a pair of credentials: both or neither; one without the other is a mistake worth naming. */
function credentials(env: Env, idVar: string, secretVar: string): { id: string; secret: string } | null {
  const id = env[idVar]?.trim() || undefined;
  const secret = env[secretVar]?.trim() || undefined;
  if (!id && !secret) return null;
  if (!id) throw new ConfigError(idVar, `is required when ${secretVar} is set`);
  if (!secret) throw new ConfigError(secretVar, `is required when ${idVar} is set`);
  return { id, secret };
}

const LOG_LEVELS: readonly LogLevel[] = ["debug", "info", "warn", "error"];

function value(env: Env, name: string): string | undefined {
  const text = env[name];
  return text === undefined || text.trim() === "" ? undefined : text.trim();
}

/** COC_WEB_ROOT / --web: an existing folder with an index.html, as an absolute path. */
function webRoot(text: string | undefined, variable: string, cwd: string): string | null {
  if (text === undefined) return null;
  const folder = isAbsolute(text) ? text : resolve(cwd, text);
  if (!existsSync(join(folder, "index.html"))) throw new ConfigError(variable, `expected a folder with an index.html (a built web app), got "${text}"`);
  return realpathSync(folder);
}

function wholeNumber(env: Env, name: string, fallback: number, min: number): number {
  const text = value(env, name);
  if (text === undefined) return fallback;
  const number = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min) throw new ConfigError(name, `expected a whole number of at least ${min}, got "${text}"`);
  return number;
}

/** COC_CHECKIN_REWARDS, COC_STREAK_FREEZE_COST, COC_STREAK_FREEZE_CAP over the defaults in rewards/rules.ts. */
function rewardRules(env: Env): RewardRules {
  const tableText = value(env, "COC_CHECKIN_REWARDS");
  const table = tableText === undefined ? [...DEFAULT_REWARD_TABLE] : tableText.split(",").map((item) => Number(item.trim()));
  if (table.length === 0 || table.length > 31 || !table.every((xp) => Number.isSafeInteger(xp) && xp > 0 && xp <= 100_000)) {
    throw new ConfigError("COC_CHECKIN_REWARDS", `expected 1 to 31 comma-separated positive whole numbers (XP per cycle day), got "${tableText}"`);
  }
  return Object.freeze({
    table: Object.freeze(table),
    freezeCost: wholeNumber(env, "COC_STREAK_FREEZE_COST", DEFAULT_FREEZE_COST, 1),
    freezeCap: wholeNumber(env, "COC_STREAK_FREEZE_CAP", DEFAULT_FREEZE_CAP, 0),
  });
}

/** COC_XP_PACKAGES (rupees:xp pairs) over the defaults in payments/packages.ts, cheapest first. */
function xpPackages(env: Env): readonly XpPackage[] {
  const text = value(env, "COC_XP_PACKAGES");
  const packages = (text?.split(",") ?? DEFAULT_XP_PACKAGES.map((p) => `${p.amountInr}:${p.xp}`)).map((item) => {
    const match = /^\s*(\d+)\s*:\s*(\d+)\s*$/.exec(item);
    const amountInr = Number(match?.[1]);
    const xp = Number(match?.[2]);
    if (!match || amountInr < 1 || amountInr > 500_000 || xp < 1 || xp > 1_000_000) {
      throw new ConfigError("COC_XP_PACKAGES", `expected rupees:xp pairs like 99:100, got "${item.trim()}"`);
    }
    return Object.freeze({ amountInr, xp });
  });
  if (new Set(packages.map((p) => p.amountInr)).size !== packages.length) {
    throw new ConfigError("COC_XP_PACKAGES", "two packages have the same price");
  }
  return Object.freeze(packages.sort((a, b) => a.amountInr - b.amountInr));
}

/**
 * Builds the validated, frozen configuration from the environment and CLI flags (flags win),
 * exactly as the Configuration table of API.md. Writes nothing; reads the disk only to check that COC_WEB_ROOT holds a web app.
 *
 * @example loadConfig(process.env, { port: 9000 }).port // 9000
 */
export function loadConfig(env: Env, flags: ConfigFlags = {}, cwd: string = process.cwd()): Config {
  const portText = value(env, "COC_PORT") ?? value(env, "PORT");
  const port = flags.port ?? (portText === undefined ? 8000 : parsePort(value(env, "COC_PORT") ? "COC_PORT" : "PORT", portText));

  const dataDirText = flags.dataDir ?? value(env, "COC_DATA_DIR") ?? "./data";
  const dataDir = isAbsolute(dataDirText) ? dataDirText : resolve(cwd, dataDirText);

  const databaseText = flags.database ?? value(env, "COC_DATABASE");
  const database =
    databaseText === undefined
      ? join(dataDir, "coc.db")
      : databaseText === ":memory:" || isAbsolute(databaseText)
        ? databaseText
        : resolve(cwd, databaseText);

  const databaseUrl = postgresUrl(value(env, "COC_DATABASE_URL"));
  if (databaseUrl !== null && (flags.database !== undefined || value(env, "COC_DATABASE") !== undefined)) {
    throw new ConfigError("COC_DATABASE_URL", "and COC_DATABASE (or --database) are both set: use the Postgres URL or the SQLite file, not both");
  }

  const jwtSecret = value(env, "COC_JWT_SECRET") ?? null;
  if (jwtSecret !== null && jwtSecret.length < 32) {
    throw new ConfigError("COC_JWT_SECRET", "must be at least 32 characters (or leave it unset to generate one)");
  }

  const github = credentials(env, "COC_GITHUB_CLIENT_ID", "COC_GITHUB_CLIENT_SECRET");
  const google = credentials(env, "COC_GOOGLE_CLIENT_ID", "COC_GOOGLE_CLIENT_SECRET");
  const discord = credentials(env, "COC_DISCORD_CLIENT_ID", "COC_DISCORD_CLIENT_SECRET");
  const razorpay = credentials(env, "COC_RAZORPAY_KEY_ID", "COC_RAZORPAY_KEY_SECRET");

  // Provider URLs are validated even while the provider is off: a typo should not wait to surprise.
  const url = (name: string, fallback: string) => parseProviderUrl(name, value(env, name) ?? fallback);
  const githubWebUrl = url("COC_GITHUB_WEB_URL", "https://github.com");
  const githubApiUrl = url("COC_GITHUB_API_URL", "https://api.github.com");
  const googleIssuer = url("COC_GOOGLE_ISSUER", "https://accounts.google.com");
  const discordBaseUrl = url("COC_DISCORD_BASE_URL", "https://discord.com");
  const razorpayBaseUrl = url("COC_RAZORPAY_BASE_URL", "https://api.razorpay.com");

  const logLevelText = (value(env, "COC_LOG_LEVEL") ?? "info").toLowerCase();
  if (!LOG_LEVELS.includes(logLevelText as LogLevel)) {
    throw new ConfigError("COC_LOG_LEVEL", `expected one of ${LOG_LEVELS.join(", ")}, got "${logLevelText}"`);
  }

  const positiveInt = (name: string, fallback: number, min: number) => wholeNumber(env, name, fallback, min);
  const rate = (name: string, fallback: RateRule): RateRule => {
    const text = value(env, name);
    return text === undefined ? fallback : parseRate(name, text);
  };

  const host = flags.host ?? value(env, "COC_HOST") ?? "0.0.0.0";
  if (/\s|\//.test(host)) throw new ConfigError(flags.host ? "--host" : "COC_HOST", `expected a host name or address, got "${host}"`);

  return Object.freeze({
    port,
    host,
    dataDir,
    database,
    databaseUrl,
    databasePool: positiveInt("COC_DATABASE_POOL", 20, 2),
    jwtSecret,
    accessTtlSeconds: parseDuration("COC_ACCESS_TTL", value(env, "COC_ACCESS_TTL") ?? "15m"),
    refreshTtlSeconds: parseDuration("COC_REFRESH_TTL", value(env, "COC_REFRESH_TTL") ?? "30d"),
    corsOrigins: Object.freeze(parseOrigins("COC_CORS_ORIGINS", env.COC_CORS_ORIGINS)),
    oauthRedirectUris: Object.freeze(parseRedirectUris("COC_OAUTH_REDIRECT_URIS", env.COC_OAUTH_REDIRECT_URIS)),
    trustedProxies: Object.freeze(parseProxies("COC_TRUSTED_PROXIES", env.COC_TRUSTED_PROXIES)),
    publicUrl: parsePublicUrl("COC_PUBLIC_URL", value(env, "COC_PUBLIC_URL")),
    registrationsPerAddress: Object.freeze(rate("COC_REGISTRATIONS_PER_ADDRESS", DEFAULT_REGISTRATIONS_PER_ADDRESS)),
    oauthStartsPerAddress: Object.freeze(rate("COC_OAUTH_STARTS_PER_ADDRESS", DEFAULT_OAUTH_STARTS_PER_ADDRESS)),
    referralDailyCap: positiveInt("COC_REFERRAL_DAILY_CAP", DEFAULT_REFERRAL_DAILY_CAP, 0),
    github: github && { clientId: github.id, clientSecret: github.secret, webUrl: githubWebUrl, apiUrl: githubApiUrl },
    google: google && { clientId: google.id, clientSecret: google.secret, issuer: googleIssuer },
    discord: discord && { clientId: discord.id, clientSecret: discord.secret, baseUrl: discordBaseUrl },
    razorpay: razorpay && {
      keyId: razorpay.id,
      keySecret: razorpay.secret,
      webhookSecret: value(env, "COC_RAZORPAY_WEBHOOK_SECRET") ?? null,
      baseUrl: razorpayBaseUrl,
    },
    logLevel: logLevelText as LogLevel,
    rewards: rewardRules(env),
    packages: xpPackages(env),
    chatRate: Object.freeze({
      burst: positiveInt("COC_CHAT_BURST", DEFAULT_CHAT_RATE.burst, 1),
      perSecond: positiveInt("COC_CHAT_PER_SECOND", DEFAULT_CHAT_RATE.perSecond, 1),
    }),
    maxBodyBytes: 1024 * 1024,
    maxUploadBytes: positiveInt("COC_MAX_UPLOAD_BYTES", 2 * 1024 * 1024, 1024),
    webRoot: webRoot(flags.web ?? value(env, "COC_WEB_ROOT"), flags.web ? "--web" : "COC_WEB_ROOT", cwd),
    webCsp: value(env, "COC_WEB_CSP") ?? DEFAULT_WEB_CSP,
    metricsToken: metricsToken(value(env, "COC_METRICS_TOKEN")),
    redisUrl: redisUrl(value(env, "COC_REDIS_URL")),
    redisPrefix: redisPrefix(value(env, "COC_REDIS_PREFIX") ?? "coc:"),
  });
}

/** COC_DATABASE_URL: postgres:// or postgresql://, naming a host and a database. Never echoed back. */
function postgresUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError("COC_DATABASE_URL", "expected a URL such as postgres://coc:password@db.example.org:5432/coc");
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") throw new ConfigError("COC_DATABASE_URL", `expected a postgres:// URL, got a ${url.protocol} one`);
  if (!url.hostname || url.pathname.length <= 1) throw new ConfigError("COC_DATABASE_URL", "must name a host and a database (postgres://user:password@host:5432/database)");
  return text;
}

/** COC_REDIS_PREFIX: 1–64 letters, digits, ':', '_' or '-'. */
function redisPrefix(text: string): string {
  if (!/^[A-Za-z0-9:_-]{1,64}$/.test(text)) throw new ConfigError("COC_REDIS_PREFIX", `expected 1-64 letters, digits, ':', '_' or '-', got "${text}"`);
  return text;
}

/** COC_REDIS_URL: redis:// or rediss:// (TLS). Never echoed back: it may hold a password. */
function redisUrl(text: string | undefined): string | null {
  if (text === undefined) return null;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError("COC_REDIS_URL", "expected a URL such as redis://localhost:6379 or rediss://user:password@host:6380/0");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw new ConfigError("COC_REDIS_URL", `expected a redis:// or rediss:// URL, got a ${url.protocol} one`);
  if (!url.hostname) throw new ConfigError("COC_REDIS_URL", "names no host");
  return text;
}

/** COC_METRICS_TOKEN: unset (no /metrics), or a bearer token of 16 to 256 visible characters. */
function metricsToken(text: string | undefined): string | null {
  if (text === undefined) return null;
  if (!/^[\x21-\x7e]{16,256}$/.test(text)) {
    throw new ConfigError("COC_METRICS_TOKEN", "must be 16 to 256 visible characters without spaces (or leave it unset: no /metrics)");
  }
  return text;
}
