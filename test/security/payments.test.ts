import { afterEach, describe, expect, test } from "bun:test";
import { type FakePayment, FakeRazorpay } from "../fakes/razorpay-server.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const fakes: FakeRazorpay[] = [];
afterEach(() => {
  for (const fake of fakes.splice(0)) fake.stop();
});

async function setup() {
  const razorpay = new FakeRazorpay();
  fakes.push(razorpay);
  const s = await realServer({ env: razorpay.env() });
  const buyer = s.from("203.0.113.10");
  const session = (await buyer.register("buyer")).body;
  const order = async () => (await buyer.send("POST", "/api/payments/create-order/", { token: session.access_token, json: { amount: 99 } })).body.order_id as string;
  const deliver = (delivery: { body: string; headers: Record<string, string> }) =>
    s.from("198.51.100.200").send("POST", "/api/payments/webhook/", { body: delivery.body, headers: delivery.headers });
  const balance = () => s.ctx.services.xp.balance(session.user.id);
  return { ...s, razorpay, buyer, session, order, deliver, balance };
}

describe("webhooks", () => {
  test.each([
    ["an authorized payment not yet captured", (p: FakePayment) => ({ ...p, status: "authorized" as const }), "ignored: payment not captured"],
    ["a failed payment announced as captured", (p: FakePayment) => ({ ...p, status: "failed" as const }), "ignored: payment not captured"],
    ["a payment in another currency", (p: FakePayment) => ({ ...p, currency: "USD" }), "ignored: amount or currency mismatch"],
    ["a payment of another amount", (p: FakePayment) => ({ ...p, amount: 100 }), "ignored: amount or currency mismatch"],
    ["a payment with no amount at all", (p: FakePayment) => ({ ...p, amount: undefined as unknown as number }), "ignored: amount or currency mismatch"],
  ])("%s is signed, logged and not credited", async (_, tamper, handled) => {
    const s = await setup();
    const paid = s.razorpay.pay(await s.order());
    for (const event of ["payment.captured", "order.paid"]) {
      const answer = await s.deliver(s.razorpay.webhook(event, tamper(paid.payment)));
      expect([answer.status, answer.body.handled]).toEqual([200, handled]);
    }
    expect(await s.balance()).toBe(0);
    expect(s.logs.some((line) => String(line.msg).includes("not credited"))).toBe(true);
  });

  test("the genuine capture credits the order once", async () => {
    const s = await setup();
    const paid = s.razorpay.pay(await s.order());
    expect((await s.deliver(s.razorpay.webhook("payment.captured", paid.payment))).body.handled).toBe("fulfilled");
    expect((await s.deliver(s.razorpay.webhook("order.paid", paid.payment))).body.handled).toBe("already fulfilled");
    expect(await s.balance()).toBe(100);
  });
});

describe("create-order", () => {
  test.each([["49"], [49.5], [true], [null], [[49]]])("amount %p is refused with a 400 problem, and no order is made", async (amount) => {
    const s = await setup();
    const answer = await s.buyer.send("POST", "/api/payments/create-order/", { token: s.session.access_token, json: { amount } });
    expect([answer.status, answer.body.code]).toEqual([400, "validation_failed"]);
    expect(answer.body.errors[0].path).toBe("/amount");
    expect(s.razorpay.orders.size).toBe(0);
  });
});
