import { afterEach, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { connect as tcpConnect } from "node:net";
import { createApp } from "../../src/app.ts";
import { users } from "../../src/db/schema.ts";
import type { HubOptions } from "../../src/chat/hub.ts";
import { call, startTestServer } from "../support/http.ts";
import { createTestContext, query, queryOne } from "../support/test-context.ts";
import { WsClient } from "../support/ws.ts";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

async function setup(chat: Partial<HubOptions> = {}) {
  const test = await createTestContext({ overrides: { chat } });
  const app = createApp(test.ctx);
  const server = await startTestServer(test.ctx, app);
  running.push(server);
  const people: Record<string, { id: number; token: string }> = {};
  for (const username of ["ada", "grace", "linus"]) {
    const user = await test.ctx.services.users.create({ username, avatarUrl: `https://img.example/${username}.png` });
    people[username] = { id: user.id, token: (await test.ctx.services.tokens.issue(user)).accessToken };
  }
  const join = async (who: string) => {
    const client = await WsClient.connect(`${server.wsBase}/ws/chat/?token=${people[who]!.token}`);
    await client.next((frame) => frame.type === "history_end");
    return client;
  };
  return { ...test, app, server, people, join };
}

describe("connecting", () => {
  test("no token, or a bad one: the upgrade is refused with 401 problem+json", async () => {
    const s = await setup();
    await expect(WsClient.connect(`${s.server.wsBase}/ws/chat/`)).rejects.toThrow("refused");
    await expect(WsClient.connect(`${s.server.wsBase}/ws/chat/?token=forged`)).rejects.toThrow("refused");
    const upgrade = { upgrade: "websocket", connection: "Upgrade", "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==", "sec-websocket-version": "13" };
    const refused = await fetch(`${s.server.base}/ws/chat/?token=forged`, { headers: upgrade });
    expect(refused.status).toBe(401);
    expect(refused.headers.get("content-type")).toBe("application/problem+json");
    expect(s.ctx.services.chatHub.socketCount).toBe(0);
  });

  test("the bearer subprotocol works too, and is echoed", async () => {
    const s = await setup();
    const client = await WsClient.connect(`${s.server.wsBase}/ws/chat/`, ["bearer", s.people.ada!.token]);
    expect(client.socket.protocol).toBe("bearer");
    expect((await client.next()).type).toBe("history_end");
  });

  test("history: the last 50 messages, oldest first", async () => {
    const s = await setup();
    for (let i = 1; i <= 60; i++) await s.ctx.services.chat.post(s.people.grace!.id, `message ${i}`);
    const client = await WsClient.connect(`${s.server.wsBase}/ws/chat/?token=${s.people.ada!.token}`);
    // One chat_message frame per message, as the original web client reads them, then history_end.
    const end = await client.next((f) => f.type === "history_end");
    const history = client.frames.slice(0, client.frames.indexOf(end));
    expect(end.count).toBe(50);
    expect(history.length).toBe(50);
    expect(history.every((f) => f.type === "chat_message" && f.history === true)).toBe(true);
    expect(history[0].message).toBe("message 11");
    expect(history[49]).toMatchObject({ message: "message 60", username: "grace", user_id: s.people.grace!.id, avatar_url: "https://img.example/grace.png" });
  });

  test("user_count goes to everyone on every join and leave, counting distinct users", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(1);
    const grace = await s.join("grace");
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(2);
    expect((await grace.next((f) => f.type === "user_count")).count).toBe(2);
    const graceAgain = await s.join("grace");
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(2);
    await graceAgain.close();
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(2);
    await grace.close();
    expect((await ada.next((f) => f.type === "user_count")).count).toBe(1);
  });

  test("on shutdown every chat socket is closed with 1001", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    const grace = await s.join("grace");
    await s.server.stop();
    expect((await ada.closed).code).toBe(1001);
    expect((await grace.closed).code).toBe(1001);
  });

  test("the token never reaches the log", async () => {
    const s = await setup();
    await s.join("ada");
    expect(s.rawLogs.join("")).not.toContain(s.people.ada!.token);
    expect(s.rawLogs.join("")).toContain("/ws/chat/?token=[redacted]");
  });
});

describe("messages", () => {
  test("stored, then broadcast to everyone, the sender included", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    const grace = await s.join("grace");
    ada.send({ type: "chat_message", message: "  hello, room  " });
    const seenByAda = await ada.next((f) => f.type === "chat_message");
    const seenByGrace = await grace.next((f) => f.type === "chat_message");
    expect(seenByAda).toEqual(seenByGrace);
    expect(seenByAda).toEqual({
      type: "chat_message",
      id: expect.any(Number),
      message: "hello, room",
      username: "ada",
      user_id: s.people.ada!.id,
      avatar_url: "https://img.example/ada.png",
      created_at: s.clock.now().toISOString(),
    });
    expect(await query(s.ctx, "SELECT message FROM chat_messages")).toEqual([{ message: "hello, room" }]);
  });

  test("the original frontend's bare {message} is accepted", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    ada.send({ message: "legacy" });
    expect((await ada.next((f) => f.type === "chat_message")).message).toBe("legacy");
  });

  test("bad frames get an error to the sender alone; nothing is stored or sent to others", async () => {
    const s = await setup({ rate: { burst: 100, perSecond: 100 } });
    const ada = await s.join("ada");
    const grace = await s.join("grace");
    const bad: [unknown, string][] = [
      ["not json at all", "invalid_frame"],
      ["{broken", "invalid_frame"],
      [[1, 2], "invalid_frame"],
      [{ type: "shout", message: "hi" }, "unknown_type"],
      [{ type: "chat_message" }, "invalid_message"],
      [{ type: "chat_message", message: 42 }, "invalid_message"],
      [{ type: "chat_message", message: "" }, "empty_message"],
      [{ type: "chat_message", message: " \n\t " }, "empty_message"],
      [{ type: "chat_message", message: "\u0000\u0007" }, "empty_message"],
      [{ type: "chat_message", message: "x".repeat(1001) }, "message_too_long"],
    ];
    for (const [frame, code] of bad) {
      ada.send(frame);
      const error = await ada.next((f) => f.type === "error" || f.type === "chat_message");
      expect(error).toMatchObject({ type: "error", code });
      expect(typeof error.detail).toBe("string");
    }
    ada.send({ type: "chat_message", message: `ok\u0000 ${"y".repeat(995)}` });
    const good = await grace.next((f) => f.type === "chat_message" || f.type === "error");
    expect(good.message).toBe(`ok ${"y".repeat(995)}`);
    expect(grace.pending("error")).toEqual([]);
    expect(grace.frames.filter((f) => f.type === "error")).toEqual([]);
    expect(await queryOne(s.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM chat_messages")).toEqual({ n: 1 });
  });

  test("a message of exactly 1000 characters (emoji count as one) goes through", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    ada.send({ message: "🦄".repeat(1000) });
    expect((await ada.next((f) => f.type === "chat_message" || f.type === "error")).type).toBe("chat_message");
  });

  test("flooding: a burst of 5, then rate_limited until the bucket refills", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    for (let i = 1; i <= 6; i++) ada.send({ message: `m${i}` });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await ada.next((f) => f.type === "chat_message" || f.type === "error"));
    expect(answers.slice(0, 5).map((f) => f.message)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(answers[5]).toMatchObject({ type: "error", code: "rate_limited", retry_after: 1 });
    s.clock.advance(1000);
    ada.send({ message: "after a second" });
    expect((await ada.next((f) => f.type === "chat_message" || f.type === "error")).message).toBe("after a second");
    ada.send({ message: "too soon" });
    expect((await ada.next((f) => f.type === "chat_message" || f.type === "error")).code).toBe("rate_limited");
  });

  test("reconnecting brings the messages sent meanwhile in the history", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    const grace = await s.join("grace");
    await ada.close();
    grace.send({ message: "while you were away" });
    await grace.next((f) => f.type === "chat_message");
    const back = await WsClient.connect(`${s.server.wsBase}/ws/chat/?token=${s.people.ada!.token}`);
    const end = await back.next((f) => f.type === "history_end");
    expect(back.frames[back.frames.indexOf(end) - 1]).toMatchObject({ type: "chat_message", history: true, message: "while you were away" });
  });

  test("a disabled user's sockets are closed (1008), by the sweep or on their next message", async () => {
    const s = await setup();
    const ada = await s.join("ada");
    const grace = await s.join("grace");
    await grace.next((f) => f.type === "user_count" && f.count === 2);
    await s.ctx.db.update(users).set({ disabled: true }).where(eq(users.id, s.people.ada!.id));
    expect(await s.ctx.services.chatHub.sweep()).toBe(1);
    expect((await ada.closed).code).toBe(1008);
    expect((await grace.next((f) => f.type === "user_count")).count).toBe(1);

    await s.ctx.db.update(users).set({ disabled: true }).where(eq(users.id, s.people.grace!.id));
    grace.send({ message: "am I still here?" });
    expect((await grace.closed).code).toBe(1008);
    expect(await queryOne(s.ctx, "SELECT CAST(count(*) AS INTEGER) AS n FROM chat_messages")).toEqual({ n: 0 });
  });
});

describe("slow consumers", () => {
  test("a client that stops reading is cut off, and the others get every message", async () => {
    const s = await setup({ rate: { burst: 1e9, perSecond: 1e9 } });
    // A raw client that completes the handshake and then never reads another byte.
    const slow = tcpConnect({ host: "127.0.0.1", port: Number(s.server.running.url.port) });
    await new Promise<void>((resolve) => slow.once("connect", resolve));
    slow.write(
      `GET /ws/chat/?token=${s.people.linus!.token} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    await new Promise<void>((resolve) => slow.once("data", () => resolve()));
    slow.pause();
    const slowClosed = new Promise<void>((resolve) => slow.once("close", () => resolve()));

    const ada = await s.join("ada");
    const grace = await s.join("grace");
    await grace.next((f) => f.type === "user_count" && f.count === 3);
    // Grace reads everything; the sender keeps going, batch after batch, until the server gives
    // up on the client that reads nothing (or an upper bound, which would fail the test).
    const text = "z".repeat(990);
    let sent = 0;
    let received = 0;
    while (s.ctx.services.chatHub.userCount === 3 && sent < 60_000) {
      for (let i = 0; i < 200; i++) ada.send({ message: `${sent++} ${text}` });
      while (received < sent) {
        const frame = await grace.next((f) => f.type === "chat_message" || f.type === "error");
        expect(frame.type).toBe("chat_message");
        expect(Number(frame.message.split(" ")[0])).toBe(received);
        received++;
      }
    }
    // Bun closed the socket that had more than 1 MiB waiting; the room went on without it.
    expect(s.ctx.services.chatHub.userCount).toBe(2);
    expect(sent).toBeLessThan(60_000);
    expect(received).toBe(sent);
    // Everyone was told the room shrank.
    expect((await grace.seen((f) => f.type === "user_count" && f.count === 2)).count).toBe(2);
    expect(grace.socket.readyState).toBe(WebSocket.OPEN);
    slow.resume();
    slow.destroy();
    await slowClosed;
  }, 30_000);
});

describe("GET /api/chat/messages/", () => {
  test("pages back through older history, oldest first within a page", async () => {
    const s = await setup();
    for (let i = 1; i <= 45; i++) await s.ctx.services.chat.post(s.people.grace!.id, `m${i}`);
    const token = s.people.ada!.token;
    const first = (await call(s.app, "GET", "/api/chat/messages/?limit=20", { token })).body;
    expect(first.items.map((m: { message: string }) => m.message)).toEqual(Array.from({ length: 20 }, (_, i) => `m${26 + i}`));
    const second = (await call(s.app, "GET", `/api/chat/messages/?limit=20&cursor=${first.next_cursor}`, { token })).body;
    expect(second.items[0].message).toBe("m6");
    expect(second.items.at(-1).message).toBe("m25");
    const third = (await call(s.app, "GET", `/api/chat/messages/?limit=20&cursor=${second.next_cursor}`, { token })).body;
    expect(third.items.map((m: { message: string }) => m.message)).toEqual(["m1", "m2", "m3", "m4", "m5"]);
    expect(third.next_cursor).toBeNull();
    const before = (await call(s.app, "GET", `/api/chat/messages/?before=${first.items[0].id}&limit=3`, { token })).body;
    expect(before.items.map((m: { message: string }) => m.message)).toEqual(["m23", "m24", "m25"]);
    expect((await call(s.app, "GET", "/api/chat/messages/")).status).toBe(401);
    expect((await call(s.app, "GET", "/api/chat/messages/?before=abc", { token })).status).toBe(400);
  });
});
