import type { Caller } from "../auth/auth-service.ts";
import type { Clock } from "../clock.ts";
import { isAppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ChatService } from "./chat-service.ts";
import { chatMessageAnswer } from "./wire.ts";
import type { ThrottleStore } from "../throttle/store.ts";
import { type BucketRule, DEFAULT_CHAT_RATE } from "./rate-limit.ts";
import type { ChatRelay } from "./relay.ts";

export const CHAT_TOPIC = "global_chat";

/** 1008 Policy Violation: the account behind a socket was disabled, or its token expired or was signed out. */
export const CLOSE_POLICY = 1008;

/** The part of Bun's ServerWebSocket the hub uses (a test can pass its own). */
export interface ChatSocket {
  send(data: string): number;
  publish(topic: string, data: string): number;
  subscribe(topic: string): void;
  close(code?: number, reason?: string): void;
}

/** Publishes to every subscriber of a topic, the sender included (Bun's server.publish). */
export type Publish = (topic: string, data: string) => void;

export interface HubOptions {
  rate: BucketRule;
}


/**
 * The live room: who is connected, their rate limits, and the frames of the protocol.
 * Storage is ChatService's; the sockets are Bun's, with its pub/sub on `global_chat`.
 */
export class ChatHub {
  readonly #online = new Map<number, Set<ChatSocket>>();
  readonly #callers = new Map<ChatSocket, Caller>();
  readonly #rate: BucketRule;
  /** Sockets already told they are rate limited: further frames are dropped unanswered until one gets through. */
  readonly #toldLimited = new WeakSet<ChatSocket>();
  /** Sockets reading their history, and the room's frames held for them meanwhile. */
  readonly #joining = new Map<ChatSocket, string[]>();
  /** Each socket's last frame in hand: the next one waits for it. */
  readonly #inFlight = new WeakMap<ChatSocket, Promise<void>>();
  #publish: Publish | null = null;

  constructor(
    private readonly deps: {
      chat: ChatService;
      clock: Clock;
      log: Logger;
      /** Where chat rate limits count (this process, or Redis across instances). */
      throttles: ThrottleStore;
      /** How frames and presence reach every instance (this one alone, or all of them through Redis). */
      relay: ChatRelay;
      /**
       * Why the caller may no longer be here (account disabled, token expired, session signed
       * out), or null while they may.
       */
      refusal: (caller: Caller) => Promise<string | null>;
      /** Resolves a fresh access token sent over the socket (`authenticate` frames); throws when bad. */
      authenticate: (token: string) => Promise<Caller>;
      options?: Partial<HubOptions>;
    },
  ) {
    this.#rate = deps.options?.rate ?? DEFAULT_CHAT_RATE;
  }

  /**
   * Connects the hub to the running server's pub/sub (without one, frames go to each socket in
   * turn) and starts relaying: frames from any instance reach this one's sockets.
   */
  async start(publish?: Publish): Promise<void> {
    this.#publish = publish ?? null;
    await this.deps.relay.start((text) => this.#deliver(text));
  }

  /** Stops relaying; this instance's users leave the room's count. */
  stop(): Promise<void> {
    return this.deps.relay.stop();
  }

  /** Distinct users with at least one socket open on this instance. */
  get userCount(): number {
    return this.#online.size;
  }

  get socketCount(): number {
    return this.#callers.size;
  }

  /** A frame for this instance's sockets (from any instance); sockets still joining keep it for later. */
  #deliver(text: string): void {
    for (const held of this.#joining.values()) held.push(text);
    if (this.#publish) this.#publish(CHAT_TOPIC, text);
    else for (const [socket] of this.#callers) if (!this.#joining.has(socket)) socket.send(text);
  }

  /** Sends a frame to the whole room, on every instance. */
  #broadcast(frame: object): Promise<void> {
    return this.deps.relay.send(JSON.stringify(frame));
  }

  /**
   * A socket joined: subscribe it, send it the history, and tell everyone how many are here (on
   * all instances). Settles when the room was told; a failure is logged, never thrown.
   */
  async join(socket: ChatSocket, caller: Caller): Promise<void> {
    this.#callers.set(socket, caller);
    let sockets = this.#online.get(caller.id);
    const first = !sockets;
    if (!sockets) {
      sockets = new Set();
      this.#online.set(caller.id, sockets);
    }
    sockets.add(socket);
    // While the history is read, frames for the room are held for this socket: none is lost
    // between the read and the subscription, and none comes before the history.
    const held: string[] = [];
    this.#joining.set(socket, held);
    let history: Awaited<ReturnType<ChatService["recent"]>>;
    try {
      history = await this.deps.chat.recent();
    } catch (error) {
      this.#joining.delete(socket);
      this.deps.log.error("chat history could not be read", { error });
      socket.close(1011, "history unavailable");
      return;
    }
    // One frame per stored message, as the original web client reads them, then the end marker.
    for (const entry of history) socket.send(JSON.stringify({ type: "chat_message", ...chatMessageAnswer(entry), history: true }));
    socket.send(JSON.stringify({ type: "history_end", count: history.length }));
    const newest = history.at(-1)?.id ?? 0;
    for (const text of held) {
      const frame = JSON.parse(text) as { type?: string; id?: number };
      if (frame.type !== "chat_message" || (frame.id ?? 0) > newest) socket.send(text);
    }
    this.#joining.delete(socket);
    socket.subscribe(CHAT_TOPIC);
    return this.#tell(this.deps.relay.presence(caller.id, first ? true : null));
  }

  /** A socket left (closed by either side). */
  leave(socket: ChatSocket): Promise<void> {
    const caller = this.#callers.get(socket);
    if (!caller) return Promise.resolve();
    this.#callers.delete(socket);
    this.#joining.delete(socket);
    const sockets = this.#online.get(caller.id);
    sockets?.delete(socket);
    const last = sockets !== undefined && sockets.size === 0;
    if (last) this.#online.delete(caller.id);
    return this.#tell(this.deps.relay.presence(caller.id, last ? false : null));
  }

  #tell(telling: Promise<void>): Promise<void> {
    return telling.catch((error) => this.deps.log.error("the chat room could not be told who is here", { error }));
  }

  /**
   * A frame from a client: `{type: "chat_message", message}` or the original frontend's bare
   * `{message}`; `{type: "authenticate", token}` to carry on past the expiry of the token the socket
   * opened with. Every frame, well-formed or not, spends from the sender's rate limit first: a
   * flood costs one `rate_limited` answer and no database work. Bad frames get an `error` frame to
   * the sender alone; a good message is stored, then (once durable) broadcast to everyone, the
   * sender included, in the order the messages were received. Settles when the frame is handled,
   * never with an error (a failure is logged and the sender told).
   */
  receive(socket: ChatSocket, frame: unknown): Promise<void> {
    // One socket's frames are handled one after another: its answers keep the order of its frames.
    const handled = (this.#inFlight.get(socket) ?? Promise.resolve())
      .then(() => this.#receive(socket, frame))
      .catch((failure) => {
        this.deps.log.error("a chat frame could not be handled", { error: failure });
        socket.send(JSON.stringify({ type: "error", code: "internal_error", detail: "The frame could not be handled; try again" }));
      });
    this.#inFlight.set(socket, handled);
    return handled;
  }

  async #receive(socket: ChatSocket, frame: unknown): Promise<void> {
    const caller = this.#callers.get(socket);
    if (!caller) return;
    const error = (code: string, detail: string, extra: object = {}) => socket.send(JSON.stringify({ type: "error", code, detail, ...extra }));
    const wait = await this.deps.throttles.takeToken(`chat:${caller.id}`, this.#rate);
    if (wait > 0) {
      if (!this.#toldLimited.has(socket)) {
        this.#toldLimited.add(socket);
        error("rate_limited", "Slow down", { retry_after: Math.ceil(wait * 10) / 10 });
      }
      return;
    }
    this.#toldLimited.delete(socket);
    const refusal = await this.deps.refusal(caller);
    if (refusal) {
      socket.close(CLOSE_POLICY, refusal);
      return;
    }
    if (frame === null || typeof frame !== "object" || Array.isArray(frame)) {
      error("invalid_frame", "Send a JSON object: {\"type\": \"chat_message\", \"message\": \"…\"}");
      return;
    }
    const { type, message, token } = frame as { type?: unknown; message?: unknown; token?: unknown };
    if (type === "authenticate") {
      await this.#reauthenticate(socket, caller, token);
      return;
    }
    if (type !== undefined && type !== "chat_message") {
      error("unknown_type", `Unknown frame type ${JSON.stringify(type)}`);
      return;
    }
    if (message === undefined) {
      error("invalid_message", "message is required");
      return;
    }
    try {
      const stored = await this.deps.chat.post(caller.id, message);
      await this.#broadcast({ type: "chat_message", ...chatMessageAnswer(stored) });
    } catch (failure) {
      if (!isAppError(failure)) throw failure;
      error(failure.code, failure.detail);
    }
  }

  /** A fresh access token of the same user replaces the one the socket opened with. */
  async #reauthenticate(socket: ChatSocket, caller: Caller, token: unknown): Promise<void> {
    let fresh: Caller;
    try {
      if (typeof token !== "string" || token === "") throw new Error("no token");
      fresh = await this.deps.authenticate(token);
    } catch {
      socket.send(JSON.stringify({ type: "error", code: "invalid_token", detail: "The token is not valid; the socket keeps its current one" }));
      return;
    }
    if (fresh.id !== caller.id) {
      socket.send(JSON.stringify({ type: "error", code: "invalid_token", detail: "The token is another user's" }));
      return;
    }
    this.#callers.set(socket, fresh);
    socket.send(JSON.stringify({ type: "authenticated", expires_at: fresh.expiresAt.toISOString() }));
  }

  /**
   * Closes (1008) the sockets whose account was disabled, whose access token expired or whose
   * session was signed out meanwhile (possibly from another process), and forgets idle rate buckets.
   */
  async sweep(): Promise<number> {
    let closed = 0;
    for (const [socket, caller] of [...this.#callers]) {
      const refusal = await this.deps.refusal(caller);
      if (!refusal) continue;
      socket.close(CLOSE_POLICY, refusal);
      closed++;
    }
    if (closed > 0) this.deps.log.info("closed chat sockets no longer allowed", { sockets: closed });
    return closed;
  }
}
