import type { XpPackage } from "./packages.ts";
import type { Fulfilment, OrderCreated, Payment } from "./payment-service.ts";
import type { OrderCreatedAnswer, PackageAnswer, PaymentVerifiedAnswer, PaymentViewAnswer } from "./schemas.ts";

export function packageAnswer(pack: XpPackage): PackageAnswer {
  return { amount_inr: pack.amountInr, amount_paise: pack.amountInr * 100, xp: pack.xp };
}

export function orderCreatedAnswer(order: OrderCreated): OrderCreatedAnswer {
  return { order_id: order.orderId, amount: order.amountPaise, currency: order.currency, key: order.keyId, xp_amount: order.xp };
}

export function paymentVerifiedAnswer(fulfilment: Fulfilment): PaymentVerifiedAnswer {
  return { status: "success", new_xp: fulfilment.balance, credited: fulfilment.credited };
}

export function paymentAnswer(payment: Payment): PaymentViewAnswer {
  return {
    order_id: payment.orderId,
    amount: payment.amountPaise,
    currency: payment.currency,
    xp: payment.xp,
    status: payment.status,
    payment_id: payment.paymentId,
    created_at: payment.createdAt.toISOString(),
    paid_at: payment.paidAt?.toISOString() ?? null,
  };
}
