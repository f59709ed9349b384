import { type Static, Type } from "@sinclair/typebox";
import { PageOf } from "../http/pagination.ts";
import { OneOf } from "../http/schemas.ts";

export const Package = Type.Object({ amount_inr: Type.Integer(), amount_paise: Type.Integer(), xp: Type.Integer() }, { title: "XpPackage" });
export const PackageList = Type.Object({ items: Type.Array(Package), next_cursor: Type.Null() }, { title: "PackageList" });

export const CreateOrderBody = Type.Object(
  { amount: Type.Integer({ minimum: 1, description: "Rupees: the price of one package" }) },
  { additionalProperties: false, title: "CreateOrder" },
);

export const OrderCreated = Type.Object(
  {
    order_id: Type.String(),
    amount: Type.Integer({ description: "Paise" }),
    currency: Type.Literal("INR"),
    key: Type.String({ description: "Razorpay key id for the checkout" }),
    xp_amount: Type.Integer(),
  },
  { title: "OrderCreated" },
);

export const VerifyBody = Type.Object(
  {
    razorpay_order_id: Type.String({ minLength: 1, maxLength: 64 }),
    razorpay_payment_id: Type.String({ minLength: 1, maxLength: 64 }),
    razorpay_signature: Type.String({ minLength: 1, maxLength: 256 }),
  },
  // Clients often post Razorpay Checkout's handler result whole; its members are Razorpay's to extend.
  { additionalProperties: true, title: "VerifyPayment" },
);

export const PaymentVerified = Type.Object(
  { status: Type.Literal("success"), new_xp: Type.Integer(), credited: Type.Boolean({ description: "False when the order had already been credited" }) },
  { title: "PaymentVerified" },
);

export const WebhookHandled = Type.Object({ status: Type.Literal("ok"), handled: Type.String() }, { title: "WebhookHandled" });

export const PaymentView = Type.Object(
  {
    order_id: Type.String(),
    amount: Type.Integer({ description: "Paise" }),
    currency: Type.String(),
    xp: Type.Integer(),
    status: OneOf(["created", "paid", "failed"]),
    payment_id: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: "date-time" }),
    paid_at: Type.Union([Type.String({ format: "date-time" }), Type.Null()]),
  },
  { title: "Payment" },
);

export const PaymentPage = PageOf(PaymentView, "PaymentHistoryPage");

export type PackageAnswer = Static<typeof Package>;
export type OrderCreatedAnswer = Static<typeof OrderCreated>;
export type PaymentVerifiedAnswer = Static<typeof PaymentVerified>;
export type PaymentViewAnswer = Static<typeof PaymentView>;
