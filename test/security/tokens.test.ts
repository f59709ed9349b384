import { describe, expect, test } from "bun:test";
import { signJwt } from "../../src/auth/jwt.ts";
import { TEST_JWT_SECRET } from "../support/test-context.ts";
import { WsClient } from "../support/ws.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

async function signedIn() {
  const s = await realServer();
  const me = s.from("203.0.113.10");
  const session = await me.register("ada");
  expect(session.status).toBe(201);
  const now = () => Math.floor(s.clock.now().getTime() / 1000);
  const profile = (token: string) => me.send("GET", "/api/profiles/user/", { token });
  return { ...s, me, session: session.body, now, profile };
}

describe("access tokens", () => {
  test("a signature whose spare bits were flipped is another token, and refused", async () => {
    const s = await signedIn();
    const token: string = s.session.access_token;
    const last = ALPHABET.indexOf(token.at(-1)!);
    // 43 characters carry 256 bits: the last one's two low bits are spare.
    for (const flip of [1, 2, 3]) {
      const forged = token.slice(0, -1) + ALPHABET[last ^ flip];
      const answer = await s.profile(forged);
      expect([answer.status, answer.body.code]).toEqual([401, "invalid_token"]);
    }
    expect((await s.profile(token)).status).toBe(200);
  });

  test("nbf in the future and an iat far in the future are refused", async () => {
    const s = await signedIn();
    const sub = String(s.session.user.id);
    const now = s.now();
    const notYet = signJwt({ sub, role: "user", iat: now, nbf: now + 600, exp: now + 900 }, TEST_JWT_SECRET);
    const fromTheFuture = signJwt({ sub, role: "user", iat: now + 3600, exp: now + 4500 }, TEST_JWT_SECRET);
    for (const token of [notYet, fromTheFuture]) expect((await s.profile(token)).status).toBe(401);
    // A few seconds of clock difference between servers are tolerated.
    expect((await s.profile(signJwt({ sub, role: "user", iat: now + 5, exp: now + 900 }, TEST_JWT_SECRET))).status).toBe(200);
  });

  test("logging out ends the session's access tokens at once", async () => {
    const s = await signedIn();
    expect((await s.me.send("POST", "/api/auth/logout/", { json: { refresh_token: s.session.refresh_token } })).status).toBe(204);
    const answer = await s.profile(s.session.access_token);
    expect([answer.status, answer.body.code]).toEqual([401, "session_ended"]);
  });
});

describe("chat sockets", () => {
  const join = async (s: Awaited<ReturnType<typeof signedIn>>, token: string) => {
    const client = await WsClient.connect(`${s.server.wsBase}/ws/chat/?token=${token}`);
    await client.next((frame) => frame.type === "history_end");
    return client;
  };

  test("a socket whose access token expired is closed (1008) by the next sweep", async () => {
    const s = await signedIn();
    const socket = await join(s, s.session.access_token);
    s.clock.advance(14 * 60_000);
    await s.server.running.sweep();
    expect(socket.socket.readyState).toBe(WebSocket.OPEN);
    s.clock.advance(60_000);
    await s.server.running.sweep();
    const closed = await socket.closed;
    expect([closed.code, closed.reason]).toEqual([1008, "access token expired"]);
  });

  test("a socket whose session was signed out is closed (1008) by the next sweep", async () => {
    const s = await signedIn();
    const socket = await join(s, s.session.access_token);
    await s.me.send("POST", "/api/auth/logout/", { json: { refresh_token: s.session.refresh_token } });
    await s.server.running.sweep();
    const closed = await socket.closed;
    expect([closed.code, closed.reason]).toEqual([1008, "signed out"]);
  });

  test("a client that sends a fresh token over the socket keeps it open past the first token's expiry", async () => {
    const s = await signedIn();
    const socket = await join(s, s.session.access_token);
    s.clock.advance(10 * 60_000);
    const refreshed = await s.me.send("POST", "/api/auth/refresh/", { json: { refresh_token: s.session.refresh_token } });
    socket.send({ type: "authenticate", token: refreshed.body.access_token });
    expect(await socket.next((frame) => frame.type === "authenticated")).toMatchObject({ expires_at: expect.any(String) });
    s.clock.advance(10 * 60_000);
    await s.server.running.sweep();
    socket.send({ message: "still here" });
    expect((await socket.next((frame) => frame.type === "chat_message")).message).toBe("still here");
    const other = await s.from("198.51.100.1").register("mallory");
    socket.send({ type: "authenticate", token: other.body.access_token });
    expect((await socket.next((frame) => frame.type === "error")).code).toBe("invalid_token");
  });
});
