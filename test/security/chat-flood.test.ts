import { describe, expect, test } from "bun:test";
import { WsClient } from "../support/ws.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

describe("chat floods", () => {
  test("1,000 invalid frames cost a burst of answers and no database work past the rate limit", async () => {
    const s = await realServer();
    const session = (await s.from("203.0.113.10").register("ada")).body;
    const { tokens, chatHub } = s.ctx.services;
    let handled = 0;
    let allHandled!: () => void;
    const done = new Promise<void>((resolve) => {
      allHandled = resolve;
    });
    const receive = chatHub.receive.bind(chatHub);
    chatHub.receive = async (socket, frame) => {
      await receive(socket, frame);
      if (++handled === 1000) allHandled();
    };
    const check = tokens.refusal.bind(tokens);
    let lookups = 0;
    tokens.refusal = (caller) => {
      lookups += 1;
      return check(caller);
    };
    const socket = await WsClient.connect(`${s.server.wsBase}/ws/chat/?token=${session.access_token}`);
    await socket.next((frame) => frame.type === "history_end");
    for (let i = 0; i < 1000; i++) socket.send(i % 2 === 0 ? "not json" : { type: "chat_message", message: "" });
    await done;
    s.clock.advance(1000);
    socket.send({ message: "a real one" });
    expect((await socket.next((frame) => frame.type === "chat_message")).message).toBe("a real one");
    const errors = socket.frames.filter((frame) => frame.type === "error");
    expect(errors.map((frame) => frame.code)).toEqual(["invalid_frame", "empty_message", "invalid_frame", "empty_message", "invalid_frame", "rate_limited"]);
    // One account check per frame let through (5 + the real one), none for the 995 dropped.
    expect(lookups).toBe(6);
  });
});
