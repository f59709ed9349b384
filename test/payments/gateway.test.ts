import { afterEach, describe, expect, test } from "bun:test";
import { createRazorpayGateway, hmacMatches } from "../../src/providers/razorpay/gateway.ts";
import { FAKE_KEY_ID, FAKE_KEY_SECRET, FAKE_WEBHOOK_SECRET, FakeRazorpay } from "../fakes/razorpay-server.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { createLogger } from "../../src/log.ts";

const fakes: FakeRazorpay[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});
const log = createLogger({ level: "error", clock: new FakeClock(), write: () => {} });

function gateway(overrides: { keySecret?: string; webhookSecret?: string | null } = {}) {
  const fake = new FakeRazorpay();
  fakes.push(fake);
  const config = {
    keyId: FAKE_KEY_ID,
    keySecret: overrides.keySecret ?? FAKE_KEY_SECRET,
    webhookSecret: overrides.webhookSecret === undefined ? FAKE_WEBHOOK_SECRET : overrides.webhookSecret,
    baseUrl: fake.base,
  };
  return { fake, gateway: createRazorpayGateway(config, log, 500) };
}

describe("the Razorpay adapter (official SDK, base URL from config)", () => {
  test("sends the SDK's requests to the configured base URL with Basic auth", async () => {
    const { fake, gateway: g } = gateway();
    const order = await g.createOrder({ amountPaise: 9900, receipt: "r1", notes: { user_id: "7" } });
    expect(order.id).toMatch(/^order_/);
    expect([order.amount, order.currency, order.receipt]).toEqual([9900, "INR", "r1"]);
    expect(fake.hits).toEqual(["POST /v1/orders"]);
    fake.pay(order.id);
    const payments = await g.orderPayments(order.id);
    expect(payments).toMatchObject([{ order_id: order.id, status: "captured", amount: 9900 }]);
    expect(fake.hits).toEqual(["POST /v1/orders", `GET /v1/orders/${order.id}/payments`]);
  });

  test("wrong credentials are a rejection the product reports as 502", async () => {
    const { gateway: g } = gateway({ keySecret: "wrong" });
    await expect(g.createOrder({ amountPaise: 9900, receipt: "r", notes: {} })).rejects.toMatchObject({ kind: "upstream", code: "payment_provider_rejected" });
  });

  test("checkout and webhook signatures: right ones pass, anything else fails", () => {
    const { fake, gateway: g } = gateway();
    fake.orders.set("order_1", { id: "order_1", entity: "order", amount: 100, amount_paid: 0, currency: "INR", receipt: "", status: "created", notes: {}, created_at: 0 });
    const paid = fake.pay("order_1");
    expect(g.checkPaymentSignature("order_1", paid.razorpay_payment_id, paid.razorpay_signature)).toBe(true);
    expect(g.checkPaymentSignature("order_2", paid.razorpay_payment_id, paid.razorpay_signature)).toBe(false);
    expect(g.checkPaymentSignature("order_1", paid.razorpay_payment_id, paid.razorpay_signature.toUpperCase())).toBe(true);
    expect(g.checkPaymentSignature("order_1", paid.razorpay_payment_id, "zz")).toBe(false);
    const hook = fake.webhook("payment.captured", paid.payment);
    expect(g.checkWebhookSignature(hook.body, hook.headers["x-razorpay-signature"])).toBe(true);
    expect(g.checkWebhookSignature(`${hook.body} `, hook.headers["x-razorpay-signature"])).toBe(false);
    expect(gateway({ webhookSecret: null }).gateway.checkWebhookSignature(hook.body, hook.headers["x-razorpay-signature"])).toBeNull();
  });

  test("hmacMatches compares hex HMAC-SHA256", () => {
    const signature = new Bun.CryptoHasher("sha256", "k").update("data").digest("hex");
    expect(hmacMatches("k", "data", signature)).toBe(true);
    expect(hmacMatches("k", "data", signature.slice(0, 63))).toBe(false);
    expect(hmacMatches("other", "data", signature)).toBe(false);
  });
});
