import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { migratePostgres } from "../../src/db/postgres.ts";
import { FakeRazorpay } from "../fakes/razorpay-server.ts";
import { LogReader, ROOT } from "../support/cli.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { freshPrefix, testEngine, testPostgres, testRedisUrl } from "../support/services.ts";
import { useTempDirs } from "../support/temp.ts";
import { createTestContext, query, TEST_JWT_SECRET } from "../support/test-context.ts";
import { WsClient } from "../support/ws.ts";

/**
 * Several `coc serve` processes on one PostgreSQL and one Redis, as a community that outgrew one
 * machine runs them behind a load balancer. These run with the Postgres half of the suite.
 */

const tempDir = useTempDirs("coc-scale-");
const processes: Bun.Subprocess[] = [];
const fakes: FakeRazorpay[] = [];
afterEach(async () => {
  for (const child of processes.splice(0)) {
    child.kill("SIGTERM");
    await child.exited;
  }
  for (const fake of fakes.splice(0)) fake.stop();
});

interface Instance {
  url: URL;
  child: Bun.Subprocess;
  log: LogReader;
  stderr: Promise<string>;
}

/** Starts `coc serve` on the given environment; resolves once it listens (or with its exit). */
async function serve(env: Record<string, string>): Promise<Instance> {
  const child = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1"], {
    env: { PATH: process.env.PATH ?? "", COC_JWT_SECRET: TEST_JWT_SECRET, COC_DATA_DIR: tempDir(), ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  processes.push(child);
  const log = new LogReader(child.stdout as ReadableStream<Uint8Array>);
  const stderr = new Response(child.stderr as ReadableStream<Uint8Array>).text();
  const started = await Promise.race([log.waitFor((line) => line.msg === "listening"), child.exited.then(() => null)]);
  if (!started) throw new Error(`coc serve exited: ${await stderr}`);
  return { url: new URL(started.url), child, log, stderr };
}

/** A community: a database of its own, Redis under its own prefix, members signed in, and `count` instances. */
async function community(count: number, extra: Record<string, string> = {}) {
  const key = join(tempDir(), "community");
  // The members are made through the services on the same database (the servers check their tokens on the real clock).
  const seed = await createTestContext({ env: { COC_DATABASE: key }, clock: new FakeClock(new Date()) });
  const env = { COC_DATABASE_URL: seed.config.databaseUrl!, COC_REDIS_URL: await testRedisUrl(), COC_REDIS_PREFIX: seed.config.redisPrefix, ...extra };
  const instances = await Promise.all(Array.from({ length: count }, () => serve(env)));
  const member = async (username: string) => {
    const user = await seed.ctx.services.users.create({ username });
    return { id: user.id, token: (await seed.ctx.services.tokens.issue(user)).accessToken };
  };
  return { ctx: seed.ctx, env, instances, member };
}

const post = (base: URL, path: string, options: { token?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}) =>
  fetch(new URL(path, base), {
    method: "POST",
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.json !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    body: options.json !== undefined ? JSON.stringify(options.json) : options.body,
  });

describe.skipIf(testEngine !== "postgres")("three instances on one Postgres and one Redis", () => {
  test("a chat message sent to one instance reaches the sockets on the other two, in order", async () => {
    const c = await community(3);
    const [ada, grace, linus] = await Promise.all(["ada", "grace", "linus"].map(c.member));
    const connect = async (token: string, on: Instance) => {
      const client = await WsClient.connect(`ws://${on.url.host}/ws/chat/?token=${token}`);
      await client.next((frame) => frame.type === "history_end");
      return client;
    };
    const sockets = [await connect(ada!.token, c.instances[0]!), await connect(grace!.token, c.instances[1]!), await connect(linus!.token, c.instances[2]!)];
    expect((await sockets[2]!.next((f) => f.type === "user_count" && f.count === 3)).count).toBe(3);
    for (let i = 1; i <= 5; i++) sockets[0]!.send({ message: `hello ${i}` });
    for (const socket of sockets) {
      const got: string[] = [];
      for (let i = 0; i < 5; i++) got.push((await socket.next((f) => f.type === "chat_message")).message);
      expect(got).toEqual(["hello 1", "hello 2", "hello 3", "hello 4", "hello 5"]);
    }
    expect(await query(c.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM chat_messages")).toEqual([{ n: 5 }]);
    for (const socket of sockets) socket.socket.close();
  }, 60_000);

  test("30 check-ins of one member racing across the instances credit once", async () => {
    const c = await community(3);
    const ada = await c.member("ada");
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => post(c.instances[i % 3]!.url, "/api/rewards/check-in/", { token: ada.token })));
    const statuses = answers.map((answer) => answer.status).sort();
    expect(statuses.filter((status) => status === 201).length).toBe(1);
    expect(statuses.filter((status) => status === 409).length).toBe(29);
    expect(await query(c.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM check_ins WHERE user_id = ?", ada.id)).toEqual([{ n: 1 }]);
    const [ledger] = await query<{ n: number; total: number }>(c.ctx, "SELECT CAST(count(*) AS INTEGER) AS n, CAST(sum(amount) AS INTEGER) AS total FROM xp_ledger WHERE user_id = ?", ada.id);
    expect(ledger!.n).toBe(1);
    expect(await c.ctx.services.xp.balance(ada.id)).toBe(ledger!.total);
  }, 60_000);

  test("a webhook on one instance and verify calls on the others credit an order once", async () => {
    const fake = new FakeRazorpay();
    fakes.push(fake);
    const c = await community(3, fake.env(true));
    const buyer = await c.member("buyer");
    const created = await post(c.instances[0]!.url, "/api/payments/create-order/", { token: buyer.token, json: { amount: 99 } });
    expect(created.status).toBe(201);
    const { order_id } = (await created.json()) as { order_id: string };
    const paid = fake.pay(order_id);
    const fields = { razorpay_order_id: paid.razorpay_order_id, razorpay_payment_id: paid.razorpay_payment_id, razorpay_signature: paid.razorpay_signature };
    const delivery = fake.webhook("payment.captured", paid.payment);
    const attempts = await Promise.all([
      post(c.instances[0]!.url, "/api/payments/webhook/", { body: delivery.body, headers: delivery.headers }),
      post(c.instances[1]!.url, "/api/payments/verify-payment/", { token: buyer.token, json: fields }),
      post(c.instances[2]!.url, "/api/payments/verify-payment/", { token: buyer.token, json: fields }),
      post(c.instances[1]!.url, "/api/payments/webhook/", { body: delivery.body, headers: delivery.headers }),
    ]);
    expect(attempts.map((attempt) => attempt.status)).toEqual([200, 200, 200, 200]);
    expect(await query(c.ctx, "SELECT amount, reference FROM xp_ledger WHERE user_id = ? AND source = 'purchase'", buyer.id)).toEqual([{ amount: 100, reference: order_id }]);
    expect(await c.ctx.services.xp.balance(buyer.id)).toBe(100);
  }, 60_000);

  test("throttles count across instances: registrations from one address, spread over three instances", async () => {
    const c = await community(3, { COC_REGISTRATIONS_PER_ADDRESS: "4/1h" });
    const register = (on: number, i: number) =>
      post(c.instances[on]!.url, "/api/auth/register/", { json: { username: `member${i}`, email: `member${i}@example.com`, password: "long enough password" } });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await register(i % 3, i)).status);
    expect(statuses).toEqual([201, 201, 201, 201, 429, 429]);
  }, 60_000);

  test("killing one instance in the middle of a check-in load loses nothing it acknowledged; the others keep serving", async () => {
    const c = await community(3);
    const members = await Promise.all(Array.from({ length: 240 }, (_, i) => c.member(`member${i}`)));
    const victim = c.instances[0]!;
    const acknowledged = new Set<number>();
    const refused: number[] = [];
    let next = 0;
    let killed = false;
    const client = async (lane: number) => {
      while (next < members.length) {
        const member = members[next++]!;
        // A load balancer sends no more to an instance once it is gone.
        const on = c.instances[killed && lane % 3 === 0 ? 1 + (lane % 2) : lane % 3]!;
        try {
          const answer = await post(on.url, "/api/rewards/check-in/", { token: member.token });
          if (answer.status === 201) acknowledged.add(member.id);
          else refused.push(answer.status);
        } catch {
          // Only the killed instance may drop a connection.
          if (on !== victim) throw new Error("a surviving instance dropped a request");
        }
        if (acknowledged.size >= 60 && !killed) {
          killed = true;
          victim.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: 24 }, (_, lane) => client(lane)));
    expect(killed).toBe(true);
    expect(refused).toEqual([]);
    const checkedIn = new Set((await query<{ user_id: number }>(c.ctx, "SELECT user_id FROM check_ins")).map((row) => row.user_id));
    for (const id of acknowledged) expect(checkedIn.has(id)).toBe(true);
    // Only the requests in flight on the killed instance went unanswered: the survivors took the rest.
    expect(acknowledged.size).toBeGreaterThanOrEqual(members.length - 8);
    const mismatched = await query(
      c.ctx,
      "SELECT p.user_id FROM profiles p WHERE p.xp <> (SELECT coalesce(sum(amount), 0) FROM xp_ledger l WHERE l.user_id = p.user_id)",
    );
    expect(mismatched).toEqual([]);
  }, 60_000);

  test("a second instance without Redis refuses to start, naming what is missing", async () => {
    const c = await community(0);
    const { COC_REDIS_URL: _redis, COC_REDIS_PREFIX: _prefix, ...withoutRedis } = c.env;
    await serve(withoutRedis);
    const second = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1"], {
      env: { PATH: process.env.PATH ?? "", COC_JWT_SECRET: TEST_JWT_SECRET, COC_DATA_DIR: tempDir(), ...withoutRedis },
      stdout: "pipe",
      stderr: "pipe",
    });
    processes.push(second);
    expect(await second.exited).not.toBe(0);
    expect(await new Response(second.stderr).text()).toContain("COC_REDIS_URL");
    // With Redis, an instance started beside one without it is refused too: the first would split the chat.
    const third = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1"], {
      env: { PATH: process.env.PATH ?? "", COC_JWT_SECRET: TEST_JWT_SECRET, COC_DATA_DIR: tempDir(), ...c.env, COC_REDIS_PREFIX: freshPrefix() },
      stdout: "pipe",
      stderr: "pipe",
    });
    processes.push(third);
    expect(await third.exited).not.toBe(0);
    expect(await new Response(third.stderr).text()).toContain("without Redis");
  }, 30_000);
});

describe.skipIf(testEngine !== "postgres")("migrating Postgres", () => {
  test("ten instances starting at once on an empty database migrate it once", async () => {
    const { base, admin } = await testPostgres();
    const name = `coc_empty_${process.pid}_${Date.now()}`;
    await admin.unsafe(`CREATE DATABASE ${name}`);
    const pools = Array.from({ length: 10 }, () => new Bun.SQL({ url: `${base}/${name}`, max: 1 }));
    try {
      const results = await Promise.all(pools.map((pool) => migratePostgres(pool)));
      expect(results.filter((result) => result.applied.length > 0).length).toBe(1);
      expect(new Set(results.map((result) => result.current)).size).toBe(1);
      const [row] = (await pools[0]!.unsafe("SELECT CAST(count(*) AS INTEGER) AS n, count(DISTINCT hash)::int AS distinct_hashes FROM drizzle.__drizzle_migrations")) as { n: number; distinct_hashes: number }[];
      expect(row!.n).toBe(results.find((result) => result.applied.length > 0)!.applied.length);
      expect(row!.distinct_hashes).toBe(row!.n);
    } finally {
      await Promise.all(pools.map((pool) => pool.close()));
    }
  }, 60_000);
});
