import { Elysia, t } from "elysia";
import type { AppContext } from "../context.ts";
import { authGuard, upgradeHeaders } from "../http/auth-guard.ts";
import { PageOf } from "../http/pagination.ts";
import { Problem } from "../http/schemas.ts";
import { HISTORY_SIZE, MAX_MESSAGE_LENGTH } from "./chat-service.ts";

const tags = ["chat"];

export const ChatMessageSchema = t.Object(
  {
    id: t.Integer(),
    message: t.String(),
    username: t.String(),
    user_id: t.Integer(),
    avatar_url: t.Union([t.String(), t.Null()]),
    created_at: t.String({ format: "date-time" }),
  },
  { title: "ChatMessage" },
);

/** The WebSocket protocol, as the docs describe it (the route itself is not HTTP). */
export const CHAT_PROTOCOL = `Connect to \`ws://<host>/ws/chat/\` with \`?token=<access_token>\` or the subprotocol pair \`["bearer", "<access_token>"]\` (the server answers with the \`bearer\` subprotocol). A missing or bad token refuses the upgrade with 401.

Server → client frames (JSON text):
- \`{"type": "history", "messages": [ChatMessage…]}\`: sent once on connect, the last ${HISTORY_SIZE} messages, oldest first.
- \`{"type": "user_count", "count": n}\`: to everyone whenever someone joins or leaves (distinct users online).
- \`{"type": "chat_message", "id", "message", "username", "user_id", "avatar_url", "created_at"}\`: every stored message, to everyone (the sender included).
- \`{"type": "error", "code", "detail"}\`: to the sender alone; nothing was stored or sent. Codes: \`invalid_frame\` (not a JSON object), \`unknown_type\`, \`invalid_message\`, \`empty_message\`, \`message_too_long\` (over ${MAX_MESSAGE_LENGTH} characters after trimming), \`invalid_token\` (an \`authenticate\` frame with a bad or another user's token), \`rate_limited\` (with \`retry_after\` seconds). Every frame, good or bad, spends from the sender's rate limit (a burst, then a steady rate per second; by default 5 and 1); the first frame over it gets \`rate_limited\`, later ones are dropped unanswered until one gets through.
- \`{"type": "authenticated", "expires_at"}\`: the answer to an \`authenticate\` frame.

Client → server: \`{"type": "chat_message", "message": "…"}\` (the bare \`{"message": "…"}\` of the original frontend works too). Control characters are stripped and the text trimmed. \`{"type": "authenticate", "token": "<access_token>"}\`: a fresh token of the same user, to keep the socket open past the expiry of the one it opened with.

Close codes: 1001 server shutting down; 1008 account disabled, access token expired or session signed out (checked every 15 s and on each message); 1009 frame over 16 KiB; a client that does not read its messages is disconnected once 1 MiB is waiting for it (slow consumers never hold the room back).`;

/** The global chat: the WebSocket room and its history over HTTP. */
export function chatRoutes(ctx: AppContext) {
  const { chat, chatHub } = ctx.services;
  return new Elysia()
    .use(authGuard(ctx))
    .ws("/ws/chat/", {
      auth: true,
      upgrade: ({ request }) => upgradeHeaders(request),
      open(ws) {
        ctx.connections.add(ws.raw);
        chatHub.join(ws.raw, ws.data.caller);
      },
      message(ws, message) {
        chatHub.receive(ws.raw, message);
      },
      close(ws) {
        ctx.connections.delete(ws.raw);
        chatHub.leave(ws.raw);
      },
      // Documented as the GET upgrade request it is (see CHAT_DOCS in src/http/docs.ts).
      detail: { hide: true },
    })
    .get("/api/chat/messages/", ({ query }) => chat.page(query), {
      auth: true,
      query: t.Object({
        before: t.Optional(t.Integer({ minimum: 1, description: "Only messages older than this id" })),
        cursor: t.Optional(t.String({ maxLength: 200, description: "next_cursor of the previous page" })),
        limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, description: "Page size (default 20, max 100)" })),
      }),
      response: { 200: PageOf(ChatMessageSchema, "ChatMessagePage"), 400: Problem, 401: Problem, 403: Problem },
      detail: {
        tags,
        summary: "Older chat history",
        description: "Messages before `before` (or the cursor), oldest first within the page; `next_cursor` goes further back, null at the beginning.",
      },
    });
}
