import { afterEach, describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { payments } from "../../src/db/schema.ts";
import { FAKE_KEY_ID, type FakePayment, FakeRazorpay } from "../fakes/razorpay-server.ts";
import { call } from "../support/http.ts";
import { createTestContext, query } from "../support/test-context.ts";

const fakes: FakeRazorpay[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

async function setup(options: { webhookSecret?: boolean; razorpay?: boolean; env?: Record<string, string> } = {}) {
  const fake = new FakeRazorpay();
  fakes.push(fake);
  const env = options.razorpay === false ? {} : fake.env(options.webhookSecret !== false);
  const test = await createTestContext({ env: { ...env, ...options.env }, overrides: { razorpayTimeoutMs: 300 } });
  const app = createApp(test.ctx);
  const buyer = await test.ctx.services.auth.register({ username: "buyer", email: "buyer@example.com", password: "long enough" }, "192.0.2.1");
  const other = await test.ctx.services.auth.register({ username: "other", email: "other@example.com", password: "long enough" }, "192.0.2.1");
  return { ...test, app, fake, buyer, other };
}

type Setup = Awaited<ReturnType<typeof setup>>;

const createOrder = (s: Setup, amount: unknown, token = s.buyer.tokens.accessToken) => call(s.app, "POST", "/api/payments/create-order/", { token, json: { amount } });
const verify = (s: Setup, body: Record<string, string>, token = s.buyer.tokens.accessToken) => call(s.app, "POST", "/api/payments/verify-payment/", { token, json: body });
const deliver = (s: Setup, delivery: { body: string; headers: Record<string, string> }) =>
  call(s.app, "POST", "/api/payments/webhook/", { body: delivery.body, headers: delivery.headers });
const purchases = (s: Setup) => query(s.ctx, "SELECT user_id, amount, reference FROM xp_ledger WHERE source = 'purchase' ORDER BY id");
const rows = async (s: Setup) => (await s.ctx.db.select().from(payments));
const checkoutFields = (paid: ReturnType<FakeRazorpay["pay"]>) => ({
  razorpay_order_id: paid.razorpay_order_id,
  razorpay_payment_id: paid.razorpay_payment_id,
  razorpay_signature: paid.razorpay_signature,
});

describe("packages", () => {
  test("GET /api/payments/packages/ lists the server's packages", async () => {
    const s = await setup();
    const { body } = await call(s.app, "GET", "/api/payments/packages/");
    expect(body.next_cursor).toBeNull();
    expect(body.items).toContainEqual({ amount_inr: 99, amount_paise: 9900, xp: 100 });
    expect(body.items.map((p: { amount_inr: number }) => p.amount_inr)).toEqual([49, 99, 199, 249, 499, 749, 999, 1999]);
    expect(body.items.find((p: { amount_inr: number }) => p.amount_inr === 1999).xp).toBe(2500);
  });

  test("packages are configurable", async () => {
    const s = await setup({ env: { COC_XP_PACKAGES: "10:5,20:15" } });
    expect((await call(s.app, "GET", "/api/payments/packages/")).body.items).toEqual([
      { amount_inr: 10, amount_paise: 1000, xp: 5 },
      { amount_inr: 20, amount_paise: 2000, xp: 15 },
    ]);
  });
});

describe("POST /api/payments/create-order/", () => {
  test("creates the Razorpay order through the SDK and stores it", async () => {
    const s = await setup();
    const result = await createOrder(s, 99);
    expect(result.status).toBe(201);
    expect(result.body).toEqual({ order_id: expect.stringMatching(/^order_/), amount: 9900, currency: "INR", key: FAKE_KEY_ID, xp_amount: 100 });
    const order = s.fake.orders.get(result.body.order_id)!;
    expect(order).toMatchObject({ amount: 9900, currency: "INR", notes: { user_id: String(s.buyer.user.id), xp: "100" } });
    expect(order.receipt).toMatch(new RegExp(`^coc_${s.buyer.user.id}_`));
    expect(await rows(s)).toMatchObject([{ orderId: result.body.order_id, userId: s.buyer.user.id, amountPaise: 9900, xp: 100, status: "created" }]);
  });

  test.each([[100], [0], [98.99], ["ninety-nine"], [null]])("amount %p → 400, nothing stored, Razorpay not asked", async (amount) => {
    const s = await setup();
    const result = await createOrder(s, amount);
    expect(result.status).toBe(400);
    expect(["invalid_package", "validation_failed"]).toContain(result.body.code);
    expect(await rows(s)).toEqual([]);
    expect(s.fake.hits).toEqual([]);
  });

  test.each([
    ["down_500", "payment_provider_unavailable"],
    ["reject_400", "payment_provider_rejected"],
    ["hang", "payment_provider_timeout"],
  ] as const)("Razorpay %s → 502 %s, nothing stored", async (failure, code) => {
    const s = await setup();
    s.fake.failure = failure;
    const result = await createOrder(s, 99);
    expect(result.status).toBe(502);
    expect(result.body.code).toBe(code);
    expect(await rows(s)).toEqual([]);
  });

  test("Razorpay unreachable (nothing listening) → 502", async () => {
    const s = await setup();
    s.fake.stop();
    const result = await createOrder(s, 99);
    expect([result.status, result.body.code]).toEqual([502, "payment_provider_unavailable"]);
  });

  test("payments not configured → 503 on every payment route but the package list", async () => {
    const s = await setup({ razorpay: false });
    expect((await createOrder(s, 99)).status).toBe(503);
    expect((await createOrder(s, 99)).body.code).toBe("payments_disabled");
    expect((await verify(s, { razorpay_order_id: "order_x", razorpay_payment_id: "pay_x", razorpay_signature: "00" })).status).toBe(503);
    expect((await deliver(s, { body: "{}", headers: { "content-type": "application/json" } })).status).toBe(503);
    expect((await call(s.app, "GET", "/api/payments/packages/")).status).toBe(200);
  });

  test("needs a token", async () => {
    const s = await setup();
    expect((await call(s.app, "POST", "/api/payments/create-order/", { json: { amount: 99 } })).status).toBe(401);
  });
});

describe("POST /api/payments/verify-payment/", () => {
  test("a signed checkout credits the package's XP once; a repeat is 200 and credits nothing", async () => {
    const s = await setup();
    const { order_id } = (await createOrder(s, 99)).body;
    const paid = s.fake.pay(order_id);
    const first = await verify(s, checkoutFields(paid));
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ status: "success", new_xp: 100, credited: true });
    const repeat = await verify(s, checkoutFields(paid));
    expect(repeat.body).toEqual({ status: "success", new_xp: 100, credited: false });
    expect(await purchases(s)).toEqual([{ user_id: s.buyer.user.id, amount: 100, reference: order_id }]);
    expect((await rows(s))[0]).toMatchObject({ status: "paid", paymentId: paid.razorpay_payment_id });
  });

  test("a wrong signature → 400 invalid_signature, nothing credited", async () => {
    const s = await setup();
    const { order_id } = (await createOrder(s, 99)).body;
    const paid = s.fake.pay(order_id);
    for (const signature of ["0".repeat(64), paid.razorpay_signature.replace(/.$/, (c) => (c === "a" ? "b" : "a")), "not-hex", ""]) {
      const result = await verify(s, { ...checkoutFields(paid), razorpay_signature: signature || "x" });
      expect(result.status).toBe(400);
    }
    // A genuine signature for another payment id does not fit this one.
    const other = s.fake.pay(order_id);
    const mixed = await verify(s, { ...checkoutFields(paid), razorpay_signature: other.razorpay_signature });
    expect(mixed.body.code).toBe("invalid_signature");
    expect(await purchases(s)).toEqual([]);
    expect((await rows(s))[0]!.status).toBe("created");
  });

  test("someone else's order → 403; an unknown order → 404", async () => {
    const s = await setup();
    const { order_id } = (await createOrder(s, 99)).body;
    const paid = s.fake.pay(order_id);
    const stolen = await verify(s, checkoutFields(paid), s.other.tokens.accessToken);
    expect([stolen.status, stolen.body.code]).toEqual([403, "order_not_yours"]);
    const unknown = await verify(s, { ...checkoutFields(paid), razorpay_order_id: "order_doesnotexist" });
    expect([unknown.status, unknown.body.code]).toEqual([404, "order_not_found"]);
    expect(await purchases(s)).toEqual([]);
  });
});

describe("POST /api/payments/webhook/", () => {
  async function paidOrder(s: Setup, status: FakePayment["status"] = "captured") {
    const { order_id } = (await createOrder(s, 199)).body;
    return s.fake.pay(order_id, status);
  }

  test("payment.captured credits a buyer who closed the tab before verify", async () => {
    const s = await setup();
    const paid = await paidOrder(s);
    const result = await deliver(s, s.fake.webhook("payment.captured", paid.payment));
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ status: "ok", handled: "fulfilled" });
    expect(await s.ctx.services.xp.balance(s.buyer.user.id)).toBe(200);
    // The frontend's late verify then credits nothing.
    expect((await verify(s, checkoutFields(paid))).body).toEqual({ status: "success", new_xp: 200, credited: false });
  });

  test("order.paid fulfils through the same path", async () => {
    const s = await setup();
    const paid = await paidOrder(s);
    expect((await deliver(s, s.fake.webhook("order.paid", paid.payment))).body.handled).toBe("fulfilled");
    expect((await deliver(s, s.fake.webhook("payment.captured", paid.payment))).body.handled).toBe("already fulfilled");
    expect((await purchases(s)).length).toBe(1);
  });

  test("a redelivered event (same event id) is a no-op", async () => {
    const s = await setup();
    const paid = await paidOrder(s);
    const delivery = s.fake.webhook("payment.captured", paid.payment, { eventId: "evt_same" });
    expect((await deliver(s, delivery)).body.handled).toBe("fulfilled");
    expect((await deliver(s, delivery)).body).toEqual({ status: "ok", handled: "duplicate" });
    expect((await purchases(s)).length).toBe(1);
  });

  test("payment.failed marks the order failed; a later successful attempt still credits", async () => {
    const s = await setup();
    const failed = await paidOrder(s, "failed");
    expect((await deliver(s, s.fake.webhook("payment.failed", failed.payment))).body.handled).toBe("marked failed");
    expect((await rows(s))[0]).toMatchObject({ status: "failed", failureReason: "Payment declined by the bank" });
    const retry = s.fake.pay(failed.razorpay_order_id);
    expect((await deliver(s, s.fake.webhook("payment.captured", retry.payment))).body.handled).toBe("fulfilled");
    expect((await rows(s))[0]!.status).toBe("paid");
    // A failure reported after the order was paid changes nothing.
    expect((await deliver(s, s.fake.webhook("payment.failed", failed.payment))).body.handled).toBe("ignored: order not pending");
    expect((await rows(s))[0]!.status).toBe("paid");
  });

  test("unknown events are acknowledged and ignored", async () => {
    const s = await setup();
    const paid = await paidOrder(s);
    const result = await deliver(s, s.fake.webhook("refund.created", paid.payment));
    expect(result.status).toBe(200);
    expect(result.body.handled).toBe("ignored: event not used");
    expect(await purchases(s)).toEqual([]);
  });

  test("a wrong signature → 400; a body changed after signing → 400; nothing credited", async () => {
    const s = await setup();
    const paid = await paidOrder(s);
    const forged = s.fake.webhook("payment.captured", paid.payment, { secret: "not-the-secret" });
    expect((await deliver(s, forged)).status).toBe(400);
    const genuine = s.fake.webhook("payment.captured", paid.payment);
    const tampered = { ...genuine, body: genuine.body.replace('"captured"', '"captured" ') };
    expect((await deliver(s, tampered)).body.code).toBe("invalid_signature");
    expect((await deliver(s, { body: genuine.body, headers: { "content-type": "application/json" } })).status).toBe(400);
    expect(await purchases(s)).toEqual([]);
  });

  test("without a webhook secret, webhooks are refused with 503", async () => {
    const s = await setup({ webhookSecret: false });
    const paid = await paidOrder(s);
    const result = await deliver(s, s.fake.webhook("payment.captured", paid.payment));
    expect([result.status, result.body.code]).toEqual([503, "webhooks_disabled"]);
  });

  test("a payment whose amount differs from the order is not credited", async () => {
    const s = await setup();
    const paid = await paidOrder(s);
    const result = await deliver(s, s.fake.webhook("payment.captured", { ...paid.payment, amount: 100 }));
    expect(result.body.handled).toBe("ignored: amount or currency mismatch");
    expect(await purchases(s)).toEqual([]);
  });
});

describe("exactly once", () => {
  test("verify calls and webhooks racing on one order credit it once", async () => {
    const s = await setup();
    const { order_id } = (await createOrder(s, 999)).body;
    const paid = s.fake.pay(order_id);
    const attempts = await Promise.all([
      verify(s, checkoutFields(paid)),
      deliver(s, s.fake.webhook("payment.captured", paid.payment)),
      verify(s, checkoutFields(paid)),
      deliver(s, s.fake.webhook("order.paid", paid.payment)),
      deliver(s, s.fake.webhook("payment.captured", paid.payment)),
      verify(s, checkoutFields(paid)),
    ]);
    expect(attempts.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const credits = attempts.filter((a) => a.body.credited === true || a.body.handled === "fulfilled");
    expect(credits.length).toBe(1);
    expect(await purchases(s)).toEqual([{ user_id: s.buyer.user.id, amount: 1000, reference: order_id }]);
    expect(await s.ctx.services.xp.balance(s.buyer.user.id)).toBe(1000);
  });

  test("fulfil called directly twice, in either order of arrival, credits once", async () => {
    const s = await setup();
    const { order_id } = (await createOrder(s, 49)).body;
    const paid = s.fake.pay(order_id);
    const [first, second] = await Promise.all([
      s.ctx.services.payments.fulfil(order_id, paid.razorpay_payment_id, "test"),
      s.ctx.services.payments.fulfil(order_id, paid.razorpay_payment_id, "test"),
    ]);
    // Whichever wins (on Postgres, the one Postgres lets commit first), one credits and both see the credit.
    expect([first.credited, second.credited].sort()).toEqual([false, true]);
    expect([first.balance, second.balance]).toEqual([50, 50]);
  });
});

describe("GET /api/payments/history/", () => {
  test("the caller's orders with their states, newest first", async () => {
    const s = await setup();
    const first = (await createOrder(s, 49)).body.order_id;
    const second = (await createOrder(s, 99)).body.order_id;
    await verify(s, checkoutFields(s.fake.pay(second)));
    await createOrder(s, 49, s.other.tokens.accessToken);
    const { body } = await call(s.app, "GET", "/api/payments/history/", { token: s.buyer.tokens.accessToken });
    expect(body.items.map((item: { order_id: string; status: string }) => [item.order_id, item.status])).toEqual([
      [second, "paid"],
      [first, "created"],
    ]);
    expect(body.items[0]).toMatchObject({ amount: 9900, currency: "INR", xp: 100, payment_id: expect.stringMatching(/^pay_/) });
    expect(body.next_cursor).toBeNull();
  });
});
