import { and, asc, eq, gte, ne } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import type { XpPackage } from "./packages.ts";
import { first, type Store, statement, type Tx } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import type { Metrics } from "../metrics.ts";
import { payments, webhookEvents } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { sha256Hex } from "../hash.ts";
import { userPages } from "../db/user-pages.ts";
import type { Page } from "../pagination.ts";
import type { Logger } from "../log.ts";
import type { RazorpayGateway } from "../providers/razorpay/gateway.ts";
import type { XpService } from "../xp/xp-service.ts";

export type Payment = typeof payments.$inferSelect;

/** An order made at Razorpay and recorded here. */
export interface OrderCreated {
  orderId: string;
  amountPaise: number;
  currency: "INR";
  /** The Razorpay key id the checkout needs. */
  keyId: string;
  xp: number;
}

export interface Fulfilment {
  orderId: string;
  userId: number;
  xp: number;
  /** False when the order had already been credited: nothing happened this time. */
  credited: boolean;
  balance: number;
}

export interface ReplayOutcome {
  orderId: string;
  userId: number;
  xp: number;
  outcome: "credited" | "would_credit" | "skipped" | "failed";
  detail: string;
}

interface WebhookEnvelope {
  event?: string;
  payload?: {
    payment?: {
      entity?: { id?: string; order_id?: string; amount?: unknown; currency?: unknown; status?: unknown; error_description?: string; notes?: Record<string, unknown> };
    };
    order?: { entity?: { id?: string; amount?: number; notes?: Record<string, unknown> } };
  };
}

const disabled = () => new AppError("unavailable", "payments_disabled", "Payments are not configured on this server");

/**
 * XP packages bought through Razorpay. Every way an order gets paid — the frontend's verify call,
 * a webhook, the admin's replay — ends in `fulfil`, which credits through XpService with
 * `source: purchase, reference: <order_id>`: exactly once, whatever arrives first or twice.
 */
const PAYMENT_COLUMNS = "id, order_id, user_id, amount_paise, currency, xp, status, payment_id, receipt, failure_reason, created_at, updated_at, paid_at";

interface PaymentRow {
  id: number;
  order_id: string;
  user_id: number;
  amount_paise: number;
  currency: string;
  xp: number;
  status: Payment["status"];
  payment_id: string | null;
  receipt: string;
  failure_reason: string | null;
  /** Epoch milliseconds (strings from Postgres's int8). */
  created_at: number | string;
  updated_at: number | string;
  paid_at: number | string | null;
}

function paymentOf(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    userId: row.user_id,
    amountPaise: row.amount_paise,
    currency: row.currency,
    xp: row.xp,
    status: row.status,
    paymentId: row.payment_id,
    receipt: row.receipt,
    failureReason: row.failure_reason,
    createdAt: new Date(Number(row.created_at)),
    updatedAt: new Date(Number(row.updated_at)),
    paidAt: row.paid_at === null ? null : new Date(Number(row.paid_at)),
  };
}

// verify and webhooks are the busy paths: their statements are written by hand, prepared once.
const ORDER = statement<PaymentRow, [string]>({
  sqlite: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE order_id = ?`,
  pg: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE order_id = $1`,
});
/** In a unit: on Postgres the order's row is locked, so a webhook and a verify of one order queue instead of failing. */
const ORDER_FOR_CHANGE = statement<PaymentRow, [string]>({
  sqlite: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE order_id = ?`,
  pg: `SELECT ${PAYMENT_COLUMNS} FROM payments WHERE order_id = $1 FOR UPDATE`,
});
const MARK_PAID = statement<never, [string, number, number, number]>({
  sqlite: "UPDATE payments SET status = 'paid', payment_id = ?, paid_at = ?, updated_at = ?, failure_reason = NULL WHERE id = ?",
  pg: "UPDATE payments SET status = 'paid', payment_id = $1, paid_at = $2, updated_at = $3, failure_reason = NULL WHERE id = $4",
});

export class PaymentService {
  readonly #history = userPages<PaymentRow, Payment>("payments", PAYMENT_COLUMNS, paymentOf);

  constructor(
    private readonly deps: {
      reader: Store;
      writer: Writer;
      clock: Clock;
      log: Logger;
      xp: XpService;
      metrics: Metrics;
      packages: readonly XpPackage[];
      gateway: RazorpayGateway | null;
    },
  ) {}

  get enabled(): boolean {
    return this.deps.gateway !== null;
  }

  packages(): readonly XpPackage[] {
    return this.deps.packages;
  }

  #gateway(): RazorpayGateway {
    if (!this.deps.gateway) throw disabled();
    return this.deps.gateway;
  }

  /**
   * Creates a Razorpay order for the package priced `amountInr` rupees and records it. The client
   * never names the XP: it follows from the package. Razorpay failing (`upstream`) stores nothing.
   */
  async createOrder(userId: number, amountInr: number): Promise<OrderCreated> {
    const gateway = this.#gateway();
    const pack = this.deps.packages.find((p) => p.amountInr === amountInr);
    if (!pack) {
      throw new AppError("validation", "invalid_package", `No package costs ₹${amountInr}; see /api/payments/packages/`, {
        errors: [{ path: "/amount", message: `must be one of ${this.deps.packages.map((p) => p.amountInr).join(", ")}` }],
      });
    }
    const amountPaise = pack.amountInr * 100;
    const receipt = `coc_${userId}_${crypto.randomUUID().slice(0, 8)}`;
    const order = await gateway.createOrder({ amountPaise, receipt, notes: { user_id: String(userId), xp: String(pack.xp) } });
    const now = this.deps.clock.now();
    await this.deps.writer.run(async (tx) => {
      await tx.db.insert(payments).values({ orderId: order.id, userId, amountPaise, currency: "INR", xp: pack.xp, status: "created", receipt, createdAt: now, updatedAt: now });
    });
    this.deps.log.info("payment order created", { order_id: order.id, user_id: userId, amount_paise: amountPaise, xp: pack.xp });
    return { orderId: order.id, amountPaise, currency: "INR", keyId: gateway.keyId, xp: pack.xp };
  }

  /**
   * The frontend's confirmation after checkout: the order must exist (`order_not_found`) and be
   * the caller's (`order_not_yours`), and the signature must be Razorpay's (`invalid_signature`,
   * compared in constant time). Then the order is fulfilled; a repeat credits nothing.
   */
  async verify(userId: number, input: { orderId: string; paymentId: string; signature: string }): Promise<Fulfilment> {
    const gateway = this.#gateway();
    this.deps.reader.enter();
    const row = await this.deps.reader.one(ORDER, input.orderId);
    const order = row && paymentOf(row);
    if (!order) throw new AppError("not_found", "order_not_found", "No such order");
    if (order.userId !== userId) throw new AppError("forbidden", "order_not_yours", "This order belongs to someone else");
    if (!gateway.checkPaymentSignature(input.orderId, input.paymentId, input.signature)) {
      this.deps.metrics.payment("invalid_signature");
      throw new AppError("validation", "invalid_signature", "The payment signature does not match");
    }
    return this.fulfil(input.orderId, input.paymentId, "verify");
  }

  /**
   * Marks the order paid and credits its XP as one unit of work (see `fulfilIn`); settles once
   * it is durable.
   */
  async fulfil(orderId: string, paymentId: string, via: string): Promise<Fulfilment> {
    const result = await this.deps.writer.run((tx) => this.fulfilIn(tx, orderId, paymentId, via));
    this.#logFulfilment(result, paymentId, via);
    return result;
  }

  /** Logs and counts a committed fulfilment. */
  #logFulfilment(result: Fulfilment, paymentId: string, via: string): void {
    this.deps.metrics.payment(result.credited ? "credited" : "repeat");
    if (!result.credited) return;
    this.deps.metrics.xp("purchase", result.xp);
    this.deps.log.info("payment fulfilled", { order_id: result.orderId, payment_id: paymentId, user_id: result.userId, xp: result.xp, via });
  }

  /**
   * Marks the order paid and credits its XP, inside the caller's unit, exactly once: a paid order
   * is answered as it stands. A second, different payment for an already credited order credits
   * nothing and is logged for a refund.
   */
  async fulfilIn(tx: Tx, orderId: string, paymentId: string, via: string): Promise<Fulfilment> {
    const row = await tx.one(ORDER_FOR_CHANGE, orderId);
    const order = row && paymentOf(row);
    if (!order) throw new AppError("not_found", "order_not_found", "No such order");
    if (order.status === "paid") {
      if (order.paymentId !== paymentId) {
        this.deps.log.warn("second payment for a paid order: refund it", { order_id: orderId, paid_with: order.paymentId, payment_id: paymentId, via });
      }
      return { orderId, userId: order.userId, xp: order.xp, credited: false, balance: await this.deps.xp.balanceIn(tx, order.userId) };
    }
    const credit = await this.deps.xp.addIn(tx, { userId: order.userId, amount: order.xp, source: "purchase", reference: orderId, actor: `payment:${via}` });
    const at = this.deps.clock.now().getTime();
    await tx.run(MARK_PAID, paymentId, at, at, order.id);
    return { orderId, userId: order.userId, xp: order.xp, credited: credit.applied, balance: credit.balance };
  }

  /**
   * A Razorpay webhook. The signature is checked over the raw body with the webhook secret
   * (`invalid_signature`; `webhooks_disabled` when no secret is configured). Each event id is
   * handled once: a redelivery does nothing. `payment.captured` and `order.paid` fulfil; `payment.failed`
   * marks an unpaid order failed; other events are acknowledged.
   */
  async handleWebhook(rawBody: string, signature: string | null, eventId: string | null): Promise<string> {
    const gateway = this.#gateway();
    const valid = gateway.checkWebhookSignature(rawBody, signature ?? "");
    if (valid === null) throw new AppError("unavailable", "webhooks_disabled", "No webhook secret is configured (COC_RAZORPAY_WEBHOOK_SECRET)");
    if (!valid) {
      this.deps.metrics.payment("invalid_signature");
      throw new AppError("validation", "invalid_signature", "The webhook signature does not match");
    }
    let envelope: WebhookEnvelope;
    try {
      envelope = JSON.parse(rawBody) as WebhookEnvelope;
    } catch {
      throw new AppError("validation", "malformed_json", "The webhook body is not JSON");
    }
    const event = typeof envelope.event === "string" ? envelope.event : "unknown";
    const id = eventId ?? `body:${sha256Hex(rawBody)}`;
    const outcome = await this.deps.writer.run(async (tx) => {
      const seen = first(await tx.db.select().from(webhookEvents).where(eq(webhookEvents.eventId, id)));
      if (seen) return { answer: "duplicate" };
      await tx.db.insert(webhookEvents).values({ eventId: id, event, receivedAt: this.deps.clock.now() });
      return this.#applyEvent(tx, event, envelope);
    });
    if (outcome.fulfilment) this.#logFulfilment(outcome.fulfilment.result, outcome.fulfilment.paymentId, `webhook:${event}`);
    else if (outcome.answer === "duplicate") this.deps.metrics.payment("webhook_duplicate");
    else if (outcome.answer === "marked failed") this.deps.metrics.payment("marked_failed");
    else this.deps.metrics.payment("webhook_ignored");
    return outcome.answer;
  }

  async #applyEvent(tx: Tx, event: string, envelope: WebhookEnvelope): Promise<{ answer: string; fulfilment?: { result: Fulfilment; paymentId: string } }> {
    const payment = envelope.payload?.payment?.entity;
    const orderId = payment?.order_id ?? envelope.payload?.order?.entity?.id;
    if (event === "payment.captured" || event === "order.paid") {
      if (!orderId || !payment?.id) {
        this.deps.log.warn("webhook without an order or a payment: not credited", { event, order_id: orderId ?? null });
        return { answer: "ignored: no order or payment in the event" };
      }
      const row = await tx.one(ORDER_FOR_CHANGE, orderId);
      const order = row && paymentOf(row);
      if (!order) {
        this.deps.log.warn("webhook for an order this server does not know", { order_id: orderId, event });
        return { answer: "ignored: unknown order" };
      }
      // Only money that was taken, in full, in the order's currency, buys the order's XP.
      if (payment.status !== "captured") {
        this.deps.log.warn("webhook payment is not captured: not credited", { order_id: orderId, event, payment_status: String(payment.status) });
        return { answer: "ignored: payment not captured" };
      }
      if (payment.amount !== order.amountPaise || payment.currency !== order.currency) {
        this.deps.log.error("webhook payment differs from the order: not credited", {
          order_id: orderId,
          expected: `${order.amountPaise} ${order.currency}`,
          paid: `${String(payment.amount)} ${String(payment.currency)}`,
        });
        return { answer: "ignored: amount or currency mismatch" };
      }
      const result = await this.fulfilIn(tx, orderId, payment.id, `webhook:${event}`);
      return { answer: result.credited ? "fulfilled" : "already fulfilled", fulfilment: { result, paymentId: payment.id } };
    }
    if (event === "payment.failed") {
      if (!orderId) return { answer: "ignored: no order in the event" };
      const now = this.deps.clock.now();
      const changed = await tx.db
        .update(payments)
        .set({ status: "failed", failureReason: payment?.error_description?.slice(0, 500) ?? "payment failed", updatedAt: now })
        .where(and(eq(payments.orderId, orderId), eq(payments.status, "created")))
        .returning({ id: payments.id });
      return { answer: changed.length > 0 ? "marked failed" : "ignored: order not pending" };
    }
    return { answer: "ignored: event not used" };
  }

  /**
   * For every order not yet paid (created since `since`, or the one `orderId`), asks Razorpay for
   * its payments and fulfils those with a captured payment, through `fulfil`: running it twice
   * credits nothing the second time. `dryRun` only reports what it would credit.
   */
  async replay(options: { since?: Date; orderId?: string; dryRun?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<ReplayOutcome[]> {
    const gateway = this.#gateway();
    const orders = options.orderId
      ? await this.deps.reader.db.select().from(payments).where(eq(payments.orderId, options.orderId))
      : await this.deps.reader.db
          .select()
          .from(payments)
          .where(and(ne(payments.status, "paid"), options.since ? gte(payments.createdAt, options.since) : undefined))
          .orderBy(asc(payments.id));
    if (options.orderId && orders.length === 0) throw new AppError("not_found", "order_not_found", `No order ${options.orderId}`);
    const outcomes: ReplayOutcome[] = [];
    for (const [index, order] of orders.entries()) {
      const base = { orderId: order.orderId, userId: order.userId, xp: order.xp };
      if (order.status === "paid") {
        outcomes.push({ ...base, outcome: "skipped", detail: "already paid" });
      } else {
        try {
          const captured = (await gateway.orderPayments(order.orderId)).find((p) => p.status === "captured");
          if (!captured) outcomes.push({ ...base, outcome: "skipped", detail: "no captured payment" });
          else if (captured.amount !== order.amountPaise) outcomes.push({ ...base, outcome: "failed", detail: `captured ${captured.amount} paise, order is ${order.amountPaise}` });
          else if (options.dryRun) outcomes.push({ ...base, outcome: "would_credit", detail: captured.id });
          else {
            const result = await this.fulfil(order.orderId, captured.id, "replay");
            outcomes.push({ ...base, outcome: result.credited ? "credited" : "skipped", detail: result.credited ? captured.id : "already credited" });
          }
        } catch (error) {
          outcomes.push({ ...base, outcome: "failed", detail: error instanceof AppError ? error.detail : String(error) });
        }
      }
      options.onProgress?.(index + 1, orders.length);
    }
    return outcomes;
  }

  /** The caller's orders, newest first. */
  history(userId: number, options: { limit?: number; cursor?: string }): Promise<Page<Payment>> {
    this.deps.reader.enter();
    return this.#history(this.deps.reader, userId, options);
  }
}
