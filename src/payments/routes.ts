import { Elysia, t } from "elysia";
import type { AppContext } from "../context.ts";
import { authGuard } from "../http/auth-guard.ts";
import { rawBodyOf } from "../http/pipeline.ts";
import { PageOf, PageQuery } from "../http/pagination.ts";
import { JsonInteger, Problem } from "../http/schemas.ts";

const tags = ["payments"];

const Package = t.Object({ amount_inr: t.Integer(), amount_paise: t.Integer(), xp: t.Integer() });

const PaymentView = t.Object({
  order_id: t.String(),
  amount: t.Integer({ description: "Paise" }),
  currency: t.String(),
  xp: t.Integer(),
  status: t.UnionEnum(["created", "paid", "failed"]),
  payment_id: t.Union([t.String(), t.Null()]),
  created_at: t.String({ format: "date-time" }),
  paid_at: t.Union([t.String({ format: "date-time" }), t.Null()]),
});

/** /api/payments/: XP packages bought through Razorpay. */
export function paymentRoutes(ctx: AppContext) {
  const { payments } = ctx.services;
  return new Elysia({ prefix: "/api/payments" })
    .use(authGuard(ctx))
    .get("/packages/", () => ({ items: payments.packages(), next_cursor: null }), {
      response: { 200: t.Object({ items: t.Array(Package), next_cursor: t.Null() }, { title: "PackageList" }) },
      detail: { tags, summary: "The XP packages on sale", description: "e.g. ₹99 → 100 XP. Prices are set by the server; clients never send XP." },
    })
    .post("/create-order/", async ({ caller, body, set }) => {
      const order = await payments.createOrder(caller.id, body.amount);
      set.status = 201;
      return order;
    }, {
      auth: true,
      body: t.Object({ amount: JsonInteger({ minimum: 1, description: "Rupees: the price of one package" }) }, { additionalProperties: false }),
      response: {
        201: t.Object(
          {
            order_id: t.String(),
            amount: t.Integer({ description: "Paise" }),
            currency: t.Literal("INR"),
            key: t.String({ description: "Razorpay key id for the checkout" }),
            xp_amount: t.Integer(),
          },
          { title: "OrderCreated" },
        ),
        400: Problem,
        401: Problem,
        403: Problem,
        502: Problem,
        503: Problem,
      },
      detail: {
        tags,
        summary: "Create a Razorpay order for a package",
        description: "400 `invalid_package` for an amount that is no package's price; 502 when Razorpay fails (nothing is stored); 503 `payments_disabled`.",
      },
    })
    .post("/verify-payment/", ({ caller, body }) =>
      payments.verify(caller.id, { orderId: body.razorpay_order_id, paymentId: body.razorpay_payment_id, signature: body.razorpay_signature }), {
      auth: true,
      body: t.Object(
        {
          razorpay_order_id: t.String({ minLength: 1, maxLength: 64 }),
          razorpay_payment_id: t.String({ minLength: 1, maxLength: 64 }),
          razorpay_signature: t.String({ minLength: 1, maxLength: 256 }),
        },
        { additionalProperties: false },
      ),
      response: {
        200: t.Object(
          { status: t.Literal("success"), new_xp: t.Integer(), credited: t.Boolean({ description: "False when the order had already been credited" }) },
          { title: "PaymentVerified" },
        ),
        400: Problem,
        401: Problem,
        403: Problem,
        404: Problem,
        503: Problem,
      },
      detail: {
        tags,
        summary: "Confirm a checkout and credit its XP",
        description: "400 `invalid_signature`; 403 someone else's order; 404 unknown order. A repeat is 200 and credits nothing.",
      },
    })
    .post("/webhook/", ({ request }) =>
      payments.handleWebhook(rawBodyOf(request), request.headers.get("x-razorpay-signature"), request.headers.get("x-razorpay-event-id")), {
      body: t.Unknown({ description: "Razorpay's event, signed in X-Razorpay-Signature over the raw body" }),
      response: { 200: t.Object({ status: t.Literal("ok"), handled: t.String() }, { title: "WebhookHandled" }), 400: Problem, 503: Problem },
      detail: {
        tags,
        summary: "Razorpay webhook",
        description:
          "Point Razorpay's webhook at this URL with the secret in COC_RAZORPAY_WEBHOOK_SECRET. `payment.captured` and `order.paid` credit the order exactly once; `payment.failed` marks it failed; a redelivered event (same X-Razorpay-Event-Id) does nothing; other events are acknowledged.",
      },
    })
    .get("/history/", ({ caller, query }) => payments.history(caller.id, query), {
      auth: true,
      query: PageQuery,
      response: { 200: PageOf(PaymentView, "PaymentHistoryPage"), 400: Problem, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's orders and their states, newest first" },
    });
}
