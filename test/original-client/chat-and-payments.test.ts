import { describe, expect, test } from "bun:test";
import { FakeRazorpay } from "../fakes/razorpay-server.ts";
import { WsClient } from "../support/ws.ts";
import { afterThisTest, cleanUpAfterEach, originalSetup } from "./support.ts";

cleanUpAfterEach();

describe("the chat page of the original web client", () => {
  test("a second user opening the chat sees the history, one message frame each; both see N online; {message} is sent and shown", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    const grace = await s.signUp("grace");
    const wsBase = s.server.base.replace(/^http/, "ws");
    const shown = (socket: WsClient) => socket.frames.filter((frame) => typeof frame.message === "string" && frame.message !== "").map((frame) => `${frame.username}: ${frame.message}`);

    const first = await WsClient.connect(`${wsBase}/ws/chat/?token=${ada.localStorage.get("access_token")}`);
    afterThisTest(() => void first.close());
    first.send({ message: "hello" });
    first.send({ message: "anyone here?" });
    await first.next((frame) => frame.type === "chat_message" && frame.message === "anyone here?");

    const second = await WsClient.connect(`${wsBase}/ws/chat/?token=${grace.localStorage.get("access_token")}`);
    afterThisTest(() => void second.close());
    await second.next((frame) => frame.type === "history_end");
    expect(shown(second)).toEqual(["ada: hello", "ada: anyone here?"]);
    expect((await second.next((frame) => frame.type === "user_count")).count).toBe(2);
    expect((await first.next((frame) => frame.type === "user_count" && frame.count === 2)).count).toBe(2);

    second.send({ message: "hi ada" });
    await first.next((frame) => frame.message === "hi ada");
    expect(shown(first)).toEqual(["ada: hello", "ada: anyone here?", "grace: hi ada"]);
    expect(first.frames.find((frame) => frame.message === "hi ada")).toMatchObject({ type: "chat_message", username: "grace", avatar_url: null });
  });
});

describe("buying XP with the original web client", () => {
  test("create-order, Razorpay Checkout, then verify-payment with the handler's whole result: credited once", async () => {
    const razorpay = new FakeRazorpay();
    afterThisTest(() => razorpay.stop());
    const s = await originalSetup({ env: razorpay.env() });
    const ada = await s.signUp("ada");
    const order = await ada.call("POST", "/api/payments/create-order/", { amount: 99 });
    expect(order.status).toBe(201);
    expect(order.data).toMatchObject({ amount: 9900, currency: "INR", xp_amount: 100 });
    const paid = razorpay.pay(order.data.order_id);
    // Checkout's handler hands over more than the three members; the app posts it whole.
    const handlerResult = {
      razorpay_order_id: paid.razorpay_order_id,
      razorpay_payment_id: paid.razorpay_payment_id,
      razorpay_signature: paid.razorpay_signature,
      razorpay_payment_link_id: "plink_extra",
      org_logo: "",
      org_name: "Razorpay Software Private Ltd",
      checkout_logo: "https://cdn.razorpay.com/logo.png",
    };
    const verified = await ada.call("POST", "/api/payments/verify-payment/", handlerResult);
    expect([verified.status, verified.data.status, verified.data.new_xp]).toEqual([200, "success", 100]);
    expect((await ada.call("POST", "/api/payments/verify-payment/", handlerResult)).data.new_xp).toBe(100);
    expect((await ada.start()).data.profile.xp).toBe(100);
  });
});
