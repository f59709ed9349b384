import { timingSafeEqual } from "node:crypto";
import type RazorpaySdk from "razorpay";
import type { RazorpayConfig } from "../../config.ts";
import { AppError } from "../../errors.ts";
import type { Logger } from "../../log.ts";

export interface RazorpayOrder {
  id: string;
  amount: number;
  currency: string;
  receipt: string | null;
  status: string;
}

export interface RazorpayPayment {
  id: string;
  order_id: string | null;
  amount: number;
  currency: string;
  status: "created" | "authorized" | "captured" | "refunded" | "failed" | string;
}

/** What the product needs of Razorpay; the real one is the official SDK behind `createRazorpayGateway`. */
export interface RazorpayGateway {
  readonly keyId: string;
  createOrder(input: { amountPaise: number; receipt: string; notes: Record<string, string> }): Promise<RazorpayOrder>;
  orderPayments(orderId: string): Promise<RazorpayPayment[]>;
  /** Checkout's signature: HMAC-SHA256 of "order_id|payment_id" with the key secret. */
  checkPaymentSignature(orderId: string, paymentId: string, signature: string): boolean;
  /** Webhook signature: HMAC-SHA256 of the raw body with the webhook secret; null when no secret is set. */
  checkWebhookSignature(rawBody: string, signature: string): boolean | null;
}

export const RAZORPAY_TIMEOUT_MS = 10_000;

/** Compares a hex HMAC in constant time (the SDK's own helpers use ===). */
export function hmacMatches(secret: string, data: string, signature: string): boolean {
  const expected = new Bun.CryptoHasher("sha256", secret).update(data).digest();
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  return timingSafeEqual(expected, Buffer.from(signature, "hex"));
}

/** Status given to failures that never got an HTTP answer (see the interceptor below). */
const NO_ANSWER = 0;

/** The SDK reports every failure as `{statusCode, error: {code, description}}` (see the interceptor). */
function failure(error: unknown, log: Logger, action: string): AppError {
  const status = (error as { statusCode?: number } | null)?.statusCode;
  const detail = (error as { error?: { code?: string; description?: string } } | null)?.error;
  log.warn("razorpay request failed", { action, status: status ?? null, razorpay_error: detail?.code ?? null, detail: detail?.description ?? (error as Error)?.message });
  if (status !== undefined && status >= 400 && status < 500) {
    return new AppError("upstream", "payment_provider_rejected", "Razorpay refused the request; try again later");
  }
  if (status === NO_ANSWER && detail?.code === "TIMEOUT") {
    return new AppError("upstream", "payment_provider_timeout", "Razorpay did not answer in time; try again later");
  }
  return new AppError("upstream", "payment_provider_unavailable", "Razorpay could not be reached; try again later");
}

/**
 * The official Razorpay SDK, pointed at `config.baseUrl`. SDK 2.9 hard-codes its host in the
 * constructor but keeps its axios instance at `api.rq`; this adapter sets that instance's
 * `baseURL` and `timeout` (pinned SDK version; test/payments/gateway.test.ts proves it against a
 * fake Razorpay on loopback).
 */
export function createRazorpayGateway(config: RazorpayConfig, log: Logger, timeoutMs = RAZORPAY_TIMEOUT_MS): RazorpayGateway {
  // Loaded on first use: the SDK (with axios) is the heaviest module of the binary, and commands
  // that never talk to Razorpay should not pay for it at start-up.
  const Razorpay = require("razorpay") as typeof RazorpaySdk;
  const sdk = new Razorpay({ key_id: config.keyId, key_secret: config.keySecret });
  const rq = (
    sdk as unknown as {
      api: { rq: { defaults: { baseURL?: string; timeout?: number }; interceptors: { response: { use(ok: (r: unknown) => unknown, fail: (e: unknown) => unknown): void } } } };
    }
  ).api.rq;
  rq.defaults.baseURL = config.baseUrl;
  rq.defaults.timeout = timeoutMs;
  // The SDK's error handler reads err.response.status, which a network failure or a timeout does
  // not have (it would throw a bare TypeError). Give such failures a response it can report.
  rq.interceptors.response.use(
    (response) => response,
    (error) => {
      const e = error as { response?: unknown; code?: string; message?: string };
      if (!e.response) {
        const timedOut = e.code === "ECONNABORTED" || e.code === "ETIMEDOUT" || /timeout/i.test(e.message ?? "");
        e.response = { status: NO_ANSWER, data: { error: { code: timedOut ? "TIMEOUT" : "NETWORK_ERROR", description: e.message ?? "no answer" } } };
      }
      return Promise.reject(e);
    },
  );
  return {
    keyId: config.keyId,
    async createOrder({ amountPaise, receipt, notes }) {
      try {
        const order = (await sdk.orders.create({ amount: amountPaise, currency: "INR", receipt, notes })) as unknown as RazorpayOrder;
        if (typeof order?.id !== "string" || order.amount !== amountPaise) throw new Error("Razorpay answered an order that does not match the request");
        return order;
      } catch (error) {
        throw failure(error, log, "create order");
      }
    },
    async orderPayments(orderId) {
      try {
        const collection = (await sdk.orders.fetchPayments(orderId)) as unknown as { items?: RazorpayPayment[] };
        return Array.isArray(collection?.items) ? collection.items : [];
      } catch (error) {
        throw failure(error, log, "fetch order payments");
      }
    },
    checkPaymentSignature(orderId, paymentId, signature) {
      return hmacMatches(config.keySecret, `${orderId}|${paymentId}`, signature);
    },
    checkWebhookSignature(rawBody, signature) {
      if (!config.webhookSecret) return null;
      return hmacMatches(config.webhookSecret, rawBody, signature);
    },
  };
}
