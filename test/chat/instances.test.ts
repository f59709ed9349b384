import { RedisClient } from "bun";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import { RedisRelay, STALE_MS } from "../../src/chat/relay.ts";
import { createLogger } from "../../src/log.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { call, startTestServer } from "../support/http.ts";
import { freshPrefix, testRedisUrl } from "../support/services.ts";
import { useTempDirs } from "../support/temp.ts";
import { createTestContext, queryOne } from "../support/test-context.ts";
import { WsClient } from "../support/ws.ts";

const tempDir = useTempDirs("coc-instances-");
const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

/** Instances of one community: one database file, one Redis (the same prefix), one clock. */
async function community(count: number) {
  const database = join(tempDir(), "coc.db");
  const env = { COC_DATABASE: database, COC_REDIS_URL: await testRedisUrl(), COC_REDIS_PREFIX: freshPrefix() };
  const clock = new FakeClock();
  const instances = await Promise.all(
    Array.from({ length: count }, async () => {
      const test = await createTestContext({ env, clock });
      const app = createApp(test.ctx);
      const server = await startTestServer(test.ctx, app);
      running.push(server);
      return { ...test, app, server };
    }),
  );
  const [first] = instances;
  const people: Record<string, { id: number; token: string }> = {};
  for (const username of ["ada", "grace", "linus"]) {
    const user = await first!.ctx.services.users.create({ username });
    people[username] = { id: user.id, token: (await first!.ctx.services.tokens.issue(user)).accessToken };
  }
  const connect = async (who: string, on: number) => {
    const client = await WsClient.connect(`${instances[on]!.server.wsBase}/ws/chat/?token=${people[who]!.token}`);
    await client.next((frame) => frame.type === "history_end");
    return client;
  };
  return { instances, people, connect, clock };
}

describe("chat across instances (Redis)", () => {
  test("a message sent to one instance reaches sockets on the others, in the sender's order", async () => {
    const c = await community(3);
    const ada = await c.connect("ada", 0);
    const grace = await c.connect("grace", 1);
    const linus = await c.connect("linus", 2);
    for (let i = 1; i <= 5; i++) ada.send({ message: `m${i}` });
    for (const client of [grace, linus, ada]) {
      const got = [];
      for (let i = 0; i < 5; i++) got.push((await client.next((f) => f.type === "chat_message")).message);
      expect(got).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    }
    // Stored once, through the instance that received it.
    expect(await queryOne(c.instances[2]!.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM chat_messages")).toEqual({ n: 5 });
  });

  test("user_count counts the users of every instance, each user once", async () => {
    const c = await community(3);
    const ada = await c.connect("ada", 0);
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(1);
    const grace = await c.connect("grace", 1);
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(2);
    // Ada again, on a third instance: still two people.
    const adaAgain = await c.connect("ada", 2);
    expect((await adaAgain.next((f) => f.type === "user_count")).count).toBe(2);
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(2);
    adaAgain.socket.close();
    grace.socket.close();
    expect((await ada.next((f) => f.type === "user_count" && f.count === 1)).count).toBe(1);
  });

  test("an instance that stops takes its users out of the count everywhere", async () => {
    const c = await community(3);
    const ada = await c.connect("ada", 0);
    await c.connect("grace", 1);
    await c.connect("linus", 1);
    expect((await ada.next((f) => f.type === "user_count" && f.count === 3)).count).toBe(3);
    await c.instances[1]!.server.stop();
    expect((await ada.next((f) => f.type === "user_count" && f.count === 1)).count).toBe(1);
  });
});

describe("throttles across instances (Redis)", () => {
  test("failed logins count on every instance: the 11th wrong password is refused wherever it lands", async () => {
    const c = await community(2);
    const [a, b] = c.instances;
    await a!.ctx.services.auth.register({ username: "owner", email: "owner@example.com", password: "the right one" }, "192.0.2.1");
    const attempt = (on: typeof a, password: string) => call(on!.app, "POST", "/api/auth/login/", { json: { login: "owner", password } });
    for (let i = 0; i < 10; i++) expect((await attempt(i % 2 === 0 ? a : b, "wrong guess")).status).toBe(401);
    expect((await attempt(a, "wrong guess")).status).toBe(429);
    expect((await attempt(b, "wrong guess")).status).toBe(429);
  });

  test("chat rate limits count on every instance", async () => {
    const c = await community(2);
    const onA = await c.connect("ada", 0);
    const onB = await c.connect("ada", 1);
    for (let i = 1; i <= 3; i++) onA.send({ message: `a${i}` });
    for (let i = 0; i < 3; i++) await onA.next((f) => f.type === "chat_message");
    for (let i = 1; i <= 3; i++) onB.send({ message: `b${i}` });
    // Burst of 5 per user, wherever the frames arrive: the sixth is refused.
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await onB.next((f) => (f.type === "chat_message" && f.message.startsWith("b")) || f.type === "error"));
    // The refusal goes to the sender at once; accepted messages come back through Redis: either order.
    expect(answers.filter((f) => f.type === "chat_message").map((f) => f.message)).toEqual(["b1", "b2"]);
    expect(answers.filter((f) => f.type === "error")).toEqual([expect.objectContaining({ code: "rate_limited" })]);
  });
});

describe("RedisRelay", () => {
  test("a crashed instance's users leave the count once its heartbeat is stale", async () => {
    const url = await testRedisUrl();
    const prefix = freshPrefix();
    const clock = new FakeClock();
    const silent = createLogger({ level: "error", clock, write: () => {} });
    const clients: RedisClient[] = [];
    const client = () => {
      const made = new RedisClient(url);
      clients.push(made);
      return made;
    };
    const [a, b] = [new RedisRelay(client(), client, clock, silent, prefix), new RedisRelay(client(), client, clock, silent, prefix)];
    // What B's sockets are told, frame by frame, as it arrives from Redis.
    const frames: string[] = [];
    let arrived: () => void = () => {};
    const nextFrame = () => new Promise<string>((resolve) => (arrived = () => resolve(frames.at(-1)!)));
    await a.start(() => {});
    await b.start((text) => {
      frames.push(text);
      arrived();
    });
    let told = nextFrame();
    await a.presence(1, true);
    expect(await told).toBe('{"type":"user_count","count":1}');
    told = nextFrame();
    await b.presence(2, true);
    expect(await told).toBe('{"type":"user_count","count":2}');
    // A dies without a word; B keeps beating.
    clock.advance(STALE_MS + 1);
    told = nextFrame();
    await b.presence(2, null);
    expect(await told).toBe('{"type":"user_count","count":1}');
    await b.stop();
    for (const made of clients) made.close();
  });
});
