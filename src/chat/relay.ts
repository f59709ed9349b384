import type { RedisClient } from "bun";
import type { Clock } from "../clock.ts";
import type { Logger } from "../log.ts";

/**
 * How the room's frames and presence reach every instance. In one process (`LocalRelay`) a frame
 * goes straight to this instance's sockets; with Redis (`RedisRelay`) it goes through Redis
 * pub/sub to every instance, and who is online is kept in Redis, so `user_count` counts the
 * users of all instances.
 */
export interface ChatRelay {
  /** Starts listening: `deliver` puts a frame's text to this instance's sockets. */
  start(deliver: (text: string) => void): Promise<void>;
  /** Sends a frame's text to every socket of the room, on every instance, in the order sent. */
  send(text: string): Promise<void>;
  /**
   * A user's first socket on this instance opened (`online`) or their last one closed; then
   * every socket of the room is told the room's count of distinct users (a `user_count` frame).
   */
  presence(userId: number, online: boolean | null): Promise<void>;
  stop(): Promise<void>;
}

const userCountFrame = (count: number) => JSON.stringify({ type: "user_count", count });

/** One instance: frames go straight to its sockets; the count is its own. */
export class LocalRelay implements ChatRelay {
  #deliver: (text: string) => void = () => {};
  readonly #online = new Set<number>();

  async start(deliver: (text: string) => void): Promise<void> {
    this.#deliver = deliver;
  }

  async send(text: string): Promise<void> {
    this.#deliver(text);
  }

  async presence(userId: number, online: boolean | null): Promise<void> {
    if (online === true) this.#online.add(userId);
    else if (online === false) this.#online.delete(userId);
    this.#deliver(userCountFrame(this.#online.size));
  }

  async stop(): Promise<void> {}
}

/**
 * The presence change and the count in one atomic step, and the count published from inside it:
 * counts reach every instance in the order of the changes. KEYS: the instances (sorted set of
 * heartbeats), this instance's set of online users, a scratch key. ARGV: now, staleMs, op
 * (add | remove | same | beat | stop), user id, channel, this instance's id, the presence key prefix.
 */
const PRESENCE = `
local now = tonumber(ARGV[1])
local stale = tonumber(ARGV[2])
local op = ARGV[3]
local me = ARGV[6]
local base = ARGV[7]
local tell = op ~= "beat"
if op == "stop" then
  redis.call("DEL", KEYS[2])
  redis.call("ZREM", KEYS[1], me)
else
  redis.call("ZADD", KEYS[1], now, me)
  if op == "add" then redis.call("SADD", KEYS[2], ARGV[4]) end
  if op == "remove" then redis.call("SREM", KEYS[2], ARGV[4]) end
  redis.call("PEXPIRE", KEYS[2], stale)
end
for _, id in ipairs(redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now - stale)) do
  redis.call("DEL", base .. id)
  redis.call("ZREM", KEYS[1], id)
  tell = true
end
local keys = {}
for _, id in ipairs(redis.call("ZRANGE", KEYS[1], 0, -1)) do keys[#keys + 1] = base .. id end
local count = 0
if #keys > 0 then
  redis.call("SUNIONSTORE", KEYS[3], unpack(keys))
  count = redis.call("SCARD", KEYS[3])
  redis.call("DEL", KEYS[3])
end
if tell then redis.call("PUBLISH", ARGV[5], '{"type":"user_count","count":' .. count .. '}') end
return count`;

/** How often an instance says it is alive; past `STALE_MS` without a word, its users are dropped from the count. */
export const HEARTBEAT_MS = 5_000;
export const STALE_MS = 30_000;

/**
 * The room across instances through Redis: frames on the `<prefix>chat` channel (one publishing
 * connection per instance, so one sender's messages stay in order), presence in `<prefix>chat:*`.
 * A crashed instance's users leave the count once its heartbeat is stale.
 */
export class RedisRelay implements ChatRelay {
  readonly #instance = crypto.randomUUID();
  readonly #channel: string;
  readonly #keys: { instances: string; mine: string; scratch: string; base: string };
  #subscriber: RedisClient | null = null;
  #heartbeat: Timer | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly subscriberFor: () => RedisClient,
    private readonly clock: Clock,
    private readonly log: Logger,
    prefix: string,
  ) {
    this.#channel = `${prefix}chat`;
    const base = `${prefix}chat:presence:`;
    this.#keys = { instances: `${prefix}chat:instances`, mine: base + this.#instance, scratch: `${prefix}chat:scratch:${this.#instance}`, base };
  }

  async start(deliver: (text: string) => void): Promise<void> {
    this.#subscriber = this.subscriberFor();
    await this.#subscriber.subscribe(this.#channel, (message) => deliver(message));
    await this.#presence("beat", 0);
    this.#heartbeat = setInterval(() => {
      this.#presence("beat", 0).catch((error) => this.log.warn("chat heartbeat to Redis failed", { error }));
    }, HEARTBEAT_MS);
    this.#heartbeat.unref?.();
  }

  async send(text: string): Promise<void> {
    await this.redis.publish(this.#channel, text);
  }

  async presence(userId: number, online: boolean | null): Promise<void> {
    await this.#presence(online === true ? "add" : online === false ? "remove" : "same", userId);
  }

  async stop(): Promise<void> {
    clearInterval(this.#heartbeat);
    try {
      await this.#presence("stop", 0);
    } catch (error) {
      this.log.warn("could not take this instance's chat users out of the count in Redis", { error });
    }
    this.#subscriber?.close();
    this.#subscriber = null;
  }

  async #presence(op: string, userId: number): Promise<number> {
    const { instances, mine, scratch, base } = this.#keys;
    const args = [String(this.clock.now().getTime()), String(STALE_MS), op, String(userId), this.#channel, this.#instance, base];
    return Number(await this.redis.send("EVAL", [PRESENCE, "3", instances, mine, scratch, ...args]));
  }
}
