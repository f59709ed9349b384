import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard.ts";
import { rawBodyOf } from "../http/body.ts";
import { pageAnswer, PageQuery } from "../http/pagination.ts";
import { Problem } from "../http/schemas.ts";
import type { PaymentService } from "./payment-service.ts";
import { CreateOrderBody, OrderCreated, PackageList, PaymentPage, PaymentVerified, VerifyBody, WebhookHandled } from "./schemas.ts";
import { orderCreatedAnswer, packageAnswer, paymentAnswer, paymentVerifiedAnswer } from "./wire.ts";

const tags = ["payments"];

/** /api/payments/: XP packages bought through Razorpay. */
export function paymentRoutes({ payments, guard }: { payments: PaymentService; guard: AuthGuard }) {
  const example = payments.packages().find((p) => p.amountInr === 99) ?? payments.packages()[0];
  return new Elysia({ prefix: "/api/payments" })
    .use(guard)
    .get("/packages/", () => ({ items: payments.packages().map(packageAnswer), next_cursor: null }), {
      response: { 200: PackageList },
      detail: {
        tags,
        summary: "The XP packages on sale",
        description: `${example ? `e.g. ₹${example.amountInr} → ${example.xp} XP. ` : ""}Prices are set by the server; clients never send XP.`,
      },
    })
    .post("/create-order/", async ({ caller, body, set }) => {
      const order = await payments.createOrder(caller.id, body.amount);
      set.status = 201;
      return orderCreatedAnswer(order);
    }, {
      auth: true,
      body: CreateOrderBody,
      response: { 201: OrderCreated, 400: Problem, 401: Problem, 403: Problem, 502: Problem, 503: Problem },
      detail: {
        tags,
        summary: "Create a Razorpay order for a package",
        description: "400 `invalid_package` for an amount that is no package's price; 502 when Razorpay fails (nothing is stored); 503 `payments_disabled`.",
      },
    })
    .post("/verify-payment/", async ({ caller, body }) =>
      paymentVerifiedAnswer(await payments.verify(caller.id, { orderId: body.razorpay_order_id, paymentId: body.razorpay_payment_id, signature: body.razorpay_signature })), {
      auth: true,
      body: VerifyBody,
      response: { 200: PaymentVerified, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 503: Problem },
      detail: {
        tags,
        summary: "Confirm a checkout and credit its XP",
        description: "400 `invalid_signature`; 403 someone else's order; 404 unknown order. A repeat is 200 and credits nothing.",
      },
    })
    .post("/webhook/", async ({ request }) => ({
      status: "ok" as const,
      handled: await payments.handleWebhook(rawBodyOf(request), request.headers.get("x-razorpay-signature"), request.headers.get("x-razorpay-event-id")),
    }), {
      body: Type.Unknown({ description: "Razorpay's event, signed in X-Razorpay-Signature over the raw body" }),
      response: { 200: WebhookHandled, 400: Problem, 503: Problem },
      detail: {
        tags,
        summary: "Razorpay webhook",
        description:
          "Point Razorpay's webhook at this URL with the secret in COC_RAZORPAY_WEBHOOK_SECRET. `payment.captured` and `order.paid` credit the order exactly once, and only for a captured payment of the order's amount and currency; `payment.failed` marks it failed; a redelivered event (same X-Razorpay-Event-Id) does nothing; other events are acknowledged.",
      },
    })
    .get("/history/", async ({ caller, query }) => pageAnswer(await payments.history(caller.id, query), paymentAnswer), {
      auth: true,
      query: PageQuery,
      response: { 200: PaymentPage, 400: Problem, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's orders and their states, newest first" },
    });
}
