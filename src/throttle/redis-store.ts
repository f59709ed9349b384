import type { RedisClient } from "bun";
import type { Clock } from "../clock.ts";
import { AppError } from "../errors.ts";
import { sha256Hex } from "../hash.ts";
import type { Logger } from "../log.ts";
import type { BucketRule, Counted, Overflow, RateRule, ThrottleStore } from "./store.ts";

// Each script runs atomically in Redis: no other instance's attempt can come between its reads and
// its writes. Times are the injected clock's (ARGV), so windows follow the same clock as in
// memory; Redis's own expiry only collects keys some time after they can matter.

/**
 * KEYS: counters, then the overflow slot; ARGV: now, the number of counters, the overflow's
 * counter (1-based, 0: none) and interval, then limit, windowMs, limits (1/0) per counter.
 * Answers 0 or the wait.
 */
const TAKE = `
local now = tonumber(ARGV[1])
local counters = tonumber(ARGV[2])
local gate = tonumber(ARGV[3])
local interval = tonumber(ARGV[4])
local wait = 0
for i = 1, counters do
  local key = KEYS[i]
  local limit = tonumber(ARGV[5 + (i - 1) * 3])
  local window = tonumber(ARGV[6 + (i - 1) * 3])
  local limits = ARGV[7 + (i - 1) * 3] == "1"
  local started = tonumber(redis.call("HGET", key, "s"))
  if limits and started and started + window > now then
    local n = tonumber(redis.call("HGET", key, "n"))
    if n >= limit then wait = math.max(wait, started + window - now) end
  end
end
if wait > 0 then return wait end
if gate > 0 then
  local key = KEYS[gate]
  local started = tonumber(redis.call("HGET", key, "s"))
  local limit = tonumber(ARGV[5 + (gate - 1) * 3])
  local window = tonumber(ARGV[6 + (gate - 1) * 3])
  if started and started + window > now and tonumber(redis.call("HGET", key, "n")) >= limit then
    local slot = KEYS[counters + 1]
    local opens = tonumber(redis.call("GET", slot))
    if opens and opens > now then return opens - now end
    redis.call("SET", slot, now + interval, "PX", interval + 60000)
  end
end
for i = 1, counters do
  local key = KEYS[i]
  local window = tonumber(ARGV[6 + (i - 1) * 3])
  local started = tonumber(redis.call("HGET", key, "s"))
  if started and started + window > now then
    redis.call("HINCRBY", key, "n", 1)
  else
    redis.call("HSET", key, "s", now, "n", 1)
    redis.call("PEXPIRE", key, window + 60000)
  end
end
return 0`;

/** KEYS: counter; ARGV: now, windowMs. Un-counts one live attempt. */
const GIVE_BACK = `
local started = tonumber(redis.call("HGET", KEYS[1], "s"))
if not started or started + tonumber(ARGV[2]) <= tonumber(ARGV[1]) then return 0 end
if redis.call("HINCRBY", KEYS[1], "n", -1) <= 0 then redis.call("DEL", KEYS[1]) end
return 1`;

/** KEYS: slot; ARGV: now, intervalMs. */
const CLAIM_SLOT = `
local now = tonumber(ARGV[1])
local opens = tonumber(redis.call("GET", KEYS[1]))
if opens and opens > now then return opens - now end
redis.call("SET", KEYS[1], now + tonumber(ARGV[2]), "PX", tonumber(ARGV[2]) + 60000)
return 0`;

/** KEYS: bucket; ARGV: now, burst, perSecond. Answers 0 or the seconds to wait, as a string (Lua numbers become integers). */
const TAKE_TOKEN = `
local now = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local rate = tonumber(ARGV[3])
local tokens = tonumber(redis.call("HGET", KEYS[1], "t"))
local at = tonumber(redis.call("HGET", KEYS[1], "a"))
if not tokens then tokens = burst; at = now end
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call("HSET", KEYS[1], "t", tostring(tokens), "a", now)
redis.call("PEXPIRE", KEYS[1], math.ceil(burst / rate * 1000) + 60000)
return tostring(wait)`;

const unavailable = () => new AppError("unavailable", "throttle_store_unavailable", "The shared throttle store does not answer; try again shortly");

/** Counts kept in Redis (COC_REDIS_URL), shared by every instance. */
export class RedisThrottleStore implements ThrottleStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly clock: Clock,
    private readonly log: Logger,
    /** The community's Redis prefix (COC_REDIS_PREFIX); its keys live under `<prefix>throttle:`. */
    prefix: string,
  ) {
    this.prefix = `${prefix}throttle:`;
  }

  private readonly prefix: string;

  take(counters: readonly Counted[], overflow?: Overflow): Promise<number> {
    const args = counters.flatMap(({ rule, limits }) => [String(rule.limit), String(rule.windowMs), limits ? "1" : "0"]);
    const keys = counters.map(({ key }) => this.#key(key));
    if (overflow) keys.push(this.#key(overflow.slot));
    const gate = overflow ? [String(overflow.counter + 1), String(overflow.intervalMs)] : ["0", "0"];
    return this.#eval(TAKE, keys, [String(this.#now()), String(counters.length), ...gate, ...args]).then(Number);
  }

  async count(key: string, rule: RateRule): Promise<number> {
    const window = await this.#window(key, rule);
    return window?.n ?? 0;
  }

  async retryAfter(key: string, rule: RateRule): Promise<number> {
    const window = await this.#window(key, rule);
    return window && window.n >= rule.limit ? window.s + rule.windowMs - this.#now() : 0;
  }

  async giveBack(key: string, rule: RateRule): Promise<void> {
    await this.#eval(GIVE_BACK, [this.#key(key)], [String(this.#now()), String(rule.windowMs)]);
  }

  async reset(key: string): Promise<void> {
    await this.#call(() => this.redis.del(this.#key(key)));
  }

  claimSlot(key: string, intervalMs: number): Promise<number> {
    return this.#eval(CLAIM_SLOT, [this.#key(key)], [String(this.#now()), String(intervalMs)]).then(Number);
  }

  takeToken(key: string, rule: BucketRule): Promise<number> {
    return this.#eval(TAKE_TOKEN, [this.#key(key)], [String(this.#now()), String(rule.burst), String(rule.perSecond)]).then(Number);
  }

  prune(): void {
    // Redis expires the keys itself.
  }

  async #window(key: string, rule: RateRule): Promise<{ s: number; n: number } | null> {
    const [s, n] = (await this.#call(() => this.redis.hmget(this.#key(key), ["s", "n"]))) as (string | null)[];
    if (s == null || n == null || Number(s) + rule.windowMs <= this.#now()) return null;
    return { s: Number(s), n: Number(n) };
  }

  /** A key of bounded length whatever the login text or address it names. */
  #key(key: string): string {
    return this.prefix + (key.length > 200 ? `sha256:${sha256Hex(key)}` : key);
  }

  #now(): number {
    return this.clock.now().getTime();
  }

  #eval(script: string, keys: string[], args: string[]): Promise<unknown> {
    return this.#call(() => this.redis.send("EVAL", [script, String(keys.length), ...keys, ...args]));
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      // Refused rather than let through unthrottled; the cause stays in the log.
      this.log.error("the throttle store (Redis) failed", { error });
      throw unavailable();
    }
  }
}
