/**
 * A fake Razorpay API on 127.0.0.1: orders, an order's payments, payments — with Basic auth
 * checked — so the product's real SDK can be used against it. It also plays the checkout (pays an
 * order and signs the result as Checkout does) and Razorpay's webhook sender.
 */
export const FAKE_KEY_ID = "rzp_test_fakekey";
export const FAKE_KEY_SECRET = "fake-key-secret";
export const FAKE_WEBHOOK_SECRET = "fake-webhook-secret";

export interface FakeOrder {
  id: string;
  entity: "order";
  amount: number;
  amount_paid: number;
  currency: string;
  receipt: string;
  status: "created" | "attempted" | "paid";
  notes: Record<string, string>;
  created_at: number;
}

export interface FakePayment {
  id: string;
  entity: "payment";
  order_id: string;
  amount: number;
  currency: string;
  status: "authorized" | "captured" | "failed";
  method: string;
  error_description?: string | null;
}

export type RazorpayFailure = "down_500" | "reject_400" | "hang";

function hmacHex(secret: string, data: string): string {
  return new Bun.CryptoHasher("sha256", secret).update(data).digest("hex");
}

export class FakeRazorpay {
  readonly orders = new Map<string, FakeOrder>();
  readonly payments = new Map<string, FakePayment>();
  /** Every request seen, "METHOD path". */
  readonly hits: string[] = [];
  failure: RazorpayFailure | null = null;
  #server: ReturnType<typeof Bun.serve>;
  #hanging = new Set<() => void>();
  #counter = 0;

  constructor() {
    this.#server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => this.#handle(request) });
  }

  get base(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  env(withWebhookSecret = true): Record<string, string> {
    return {
      COC_RAZORPAY_KEY_ID: FAKE_KEY_ID,
      COC_RAZORPAY_KEY_SECRET: FAKE_KEY_SECRET,
      COC_RAZORPAY_BASE_URL: this.base,
      ...(withWebhookSecret ? { COC_RAZORPAY_WEBHOOK_SECRET: FAKE_WEBHOOK_SECRET } : {}),
    };
  }

  stop(): void {
    for (const release of this.#hanging) release();
    this.#server.stop(true);
  }

  #id(prefix: string): string {
    this.#counter += 1;
    return `${prefix}_${Date.now().toString(36)}${this.#counter.toString(36).padStart(6, "0")}`;
  }

  /** The checkout: the buyer pays the order; answers what Checkout hands the frontend. */
  pay(orderId: string, status: FakePayment["status"] = "captured") {
    const order = this.orders.get(orderId);
    if (!order) throw new Error(`no order ${orderId}`);
    const payment: FakePayment = { id: this.#id("pay"), entity: "payment", order_id: orderId, amount: order.amount, currency: order.currency, status, method: "upi" };
    if (status === "failed") payment.error_description = "Payment declined by the bank";
    this.payments.set(payment.id, payment);
    if (status === "captured") {
      order.status = "paid";
      order.amount_paid = order.amount;
    } else order.status = "attempted";
    return {
      payment,
      razorpay_order_id: orderId,
      razorpay_payment_id: payment.id,
      razorpay_signature: hmacHex(FAKE_KEY_SECRET, `${orderId}|${payment.id}`),
    };
  }

  /** A webhook delivery as Razorpay sends it: the raw body, its signature and an event id. */
  webhook(event: string, payment: FakePayment, options: { eventId?: string; secret?: string } = {}) {
    const order = this.orders.get(payment.order_id);
    const body = JSON.stringify({
      entity: "event",
      account_id: "acc_fake",
      event,
      contains: event === "order.paid" ? ["payment", "order"] : ["payment"],
      payload: {
        payment: { entity: payment },
        ...(event === "order.paid" && order ? { order: { entity: order } } : {}),
      },
      created_at: Math.floor(Date.now() / 1000),
    });
    return {
      body,
      headers: {
        "content-type": "application/json",
        "x-razorpay-signature": hmacHex(options.secret ?? FAKE_WEBHOOK_SECRET, body),
        "x-razorpay-event-id": options.eventId ?? this.#id("evt"),
      },
    };
  }

  #error(status: number, code: string, description: string): Response {
    return Response.json({ error: { code, description, source: "business", step: "payment_initiation", reason: "input_validation_failed", metadata: {} } }, { status });
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.hits.push(`${request.method} ${url.pathname}`);
    if (this.failure === "hang") {
      await new Promise<void>((resolve) => this.#hanging.add(resolve));
      return new Response("late", { status: 504 });
    }
    if (this.failure === "down_500") return new Response("<html>Bad Gateway</html>", { status: 502 });
    const expected = `Basic ${Buffer.from(`${FAKE_KEY_ID}:${FAKE_KEY_SECRET}`).toString("base64")}`;
    if (request.headers.get("authorization") !== expected) {
      return this.#error(401, "BAD_REQUEST_ERROR", "The api key provided is invalid");
    }
    if (this.failure === "reject_400") return this.#error(400, "BAD_REQUEST_ERROR", "Order amount exceeds maximum amount allowed.");

    if (request.method === "POST" && url.pathname === "/v1/orders") {
      const body = (await request.json()) as { amount?: number; currency?: string; receipt?: string; notes?: Record<string, string> };
      if (!Number.isInteger(body.amount) || (body.amount ?? 0) < 100) return this.#error(400, "BAD_REQUEST_ERROR", "The amount must be atleast INR 1.00");
      const order: FakeOrder = {
        id: this.#id("order"),
        entity: "order",
        amount: body.amount!,
        amount_paid: 0,
        currency: body.currency ?? "INR",
        receipt: body.receipt ?? "",
        status: "created",
        notes: body.notes ?? {},
        created_at: Math.floor(Date.now() / 1000),
      };
      this.orders.set(order.id, order);
      return Response.json(order);
    }
    const orderPayments = /^\/v1\/orders\/([^/]+)\/payments$/.exec(url.pathname);
    if (request.method === "GET" && orderPayments) {
      if (!this.orders.has(orderPayments[1]!)) return this.#error(400, "BAD_REQUEST_ERROR", "The id provided does not exist");
      const items = [...this.payments.values()].filter((p) => p.order_id === orderPayments[1]);
      return Response.json({ entity: "collection", count: items.length, items });
    }
    const order = /^\/v1\/orders\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && order) {
      const found = this.orders.get(order[1]!);
      return found ? Response.json(found) : this.#error(400, "BAD_REQUEST_ERROR", "The id provided does not exist");
    }
    const payment = /^\/v1\/payments\/([^/]+)$/.exec(url.pathname);
    if (request.method === "GET" && payment) {
      const found = this.payments.get(payment[1]!);
      return found ? Response.json(found) : this.#error(400, "BAD_REQUEST_ERROR", "The id provided does not exist");
    }
    return this.#error(404, "NOT_FOUND", "The requested URL was not found on the server.");
  }
}
