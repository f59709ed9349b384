import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { loadConfig } from "../../src/config.ts";
import { FakeRazorpay } from "../fakes/razorpay-server.ts";
import { call } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

const TOKEN = "metrics-token-0123456789";
const fakes: FakeRazorpay[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

async function setup(env: Record<string, string> = { COC_METRICS_TOKEN: TOKEN }) {
  const fake = new FakeRazorpay();
  fakes.push(fake);
  const test = await createTestContext({ env: { ...fake.env(true), ...env } });
  const app = createApp(test.ctx);
  const ada = await test.ctx.services.auth.register({ username: "ada", email: "ada@example.com", password: "long enough" }, "192.0.2.1");
  return { ...test, app, fake, ada, token: ada.tokens.accessToken };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const scrape = async (s: Setup) => {
  const result = await call(s.app, "GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(result.status).toBe(200);
  return result.text;
};

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) continue;
    const match = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2] ? match[2].split(/,(?=[a-z_]+=)/) : [];
    if (wanted.every((pair) => have.includes(pair))) return Number(match[3]);
  }
  return undefined;
}

describe("GET /metrics", () => {
  test("does not exist unless COC_METRICS_TOKEN is set, and is then left out of the docs", async () => {
    const s = await setup({});
    expect((await call(s.app, "GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    const spec = (await call(s.app, "GET", "/swagger/json")).body;
    expect(spec.paths["/metrics"]).toBeUndefined();
  });

  test("needs that exact bearer token: none, a wrong one, or a user's access token is 401", async () => {
    const s = await setup();
    for (const authorization of [undefined, `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Bearer ${s.token}`, TOKEN]) {
      const result = await call(s.app, "GET", "/metrics", { headers: authorization ? { authorization } : {} });
      expect(result.status).toBe(401);
      expect(result.headers.get("content-type")).toBe("application/problem+json");
      expect(result.text).not.toContain(TOKEN);
    }
    const ok = await call(s.app, "GET", "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toStartWith("text/plain");
    expect(ok.text).toContain("# TYPE coc_http_requests_total counter");
    const spec = (await call(s.app, "GET", "/swagger/json")).body;
    expect(spec.paths["/metrics"].get.security).toEqual([{ metricsToken: [] }]);
  });

  test("counts requests by route template and status, never by raw path", async () => {
    const s = await setup();
    await call(s.app, "GET", "/api/profiles/ada/");
    await call(s.app, "GET", "/api/profiles/nobody-here/");
    await call(s.app, "GET", "/no/such/page");
    const text = await scrape(s);
    expect(sample(text, "coc_http_requests_total", { method: "GET", route: "/api/profiles/:username/", status: "200" })).toBe(1);
    expect(sample(text, "coc_http_requests_total", { method: "GET", route: "/api/profiles/:username/", status: "404" })).toBe(1);
    expect(sample(text, "coc_http_requests_total", { method: "GET", route: "unmatched", status: "404" })).toBe(1);
    expect(text).not.toContain("nobody-here");
    expect(text).not.toContain("/no/such/page");
    expect(sample(text, "coc_http_request_duration_seconds_count", { method: "GET", route: "/api/profiles/:username/" })).toBe(2);
  });

  test("counts check-ins, XP by source, payment outcomes and the writer's batches, once committed", async () => {
    const s = await setup();
    expect((await call(s.app, "POST", "/api/rewards/check-in/", { token: s.token })).status).toBe(201);
    expect((await call(s.app, "POST", "/api/rewards/check-in/", { token: s.token })).status).toBe(409);
    const { order_id } = (await call(s.app, "POST", "/api/payments/create-order/", { token: s.token, json: { amount: 99 } })).body;
    const paid = s.fake.pay(order_id);
    const fields = { razorpay_order_id: paid.razorpay_order_id, razorpay_payment_id: paid.razorpay_payment_id, razorpay_signature: paid.razorpay_signature };
    expect((await call(s.app, "POST", "/api/payments/verify-payment/", { token: s.token, json: fields })).status).toBe(200);
    expect((await call(s.app, "POST", "/api/payments/verify-payment/", { token: s.token, json: fields })).status).toBe(200);
    expect((await call(s.app, "POST", "/api/payments/verify-payment/", { token: s.token, json: { ...fields, razorpay_signature: "0".repeat(64) } })).status).toBe(400);
    await s.ctx.services.xp.add({ userId: s.ada.user.id, amount: -20, source: "admin_adjustment" });
    await s.ctx.services.chat.post(s.ada.user.id, "hello");
    await expect(s.ctx.services.chat.post(s.ada.user.id, "   ")).rejects.toThrow();

    const text = await scrape(s);
    expect(sample(text, "coc_check_ins_total")).toBe(1);
    expect(sample(text, "coc_xp_credited_total", { source: "check_in" })).toBe(5);
    expect(sample(text, "coc_xp_credited_total", { source: "purchase" })).toBe(100);
    expect(sample(text, "coc_xp_spent_total", { source: "admin_adjustment" })).toBe(20);
    expect(sample(text, "coc_payment_outcomes_total", { outcome: "credited" })).toBe(1);
    expect(sample(text, "coc_payment_outcomes_total", { outcome: "repeat" })).toBe(1);
    expect(sample(text, "coc_payment_outcomes_total", { outcome: "invalid_signature" })).toBe(1);
    // Registration, check-ins (one refused), the order, two verifies, the grant: a batch each here.
    expect(sample(text, "coc_writer_batch_size_count")).toBeGreaterThanOrEqual(6);
    expect(sample(text, "coc_writer_failed_units_total")).toBe(1);
    expect(sample(text, "coc_chat_messages_total")).toBe(1);
    expect(sample(text, "coc_chat_open_sockets")).toBe(0);
    expect(sample(text, "coc_process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  test("a token too short to be a secret is refused at start-up, naming the variable", () => {
    expect(() => loadConfig({ COC_DATABASE: ":memory:", COC_METRICS_TOKEN: "short" })).toThrow(/COC_METRICS_TOKEN/);
    expect(() => loadConfig({ COC_DATABASE: ":memory:", COC_METRICS_TOKEN: "has spaces in the middle of it" })).toThrow(/COC_METRICS_TOKEN/);
  });
});
