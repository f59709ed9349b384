import { Elysia } from "elysia";
import { type AuthGuard, upgradeHeaders } from "../http/auth-guard.ts";
import type { ConnectionRegistry } from "../http/connections.ts";
import { pageAnswer } from "../http/pagination.ts";
import { Problem } from "../http/schemas.ts";
import type { ChatService } from "./chat-service.ts";
import type { ChatHub } from "./hub.ts";
import { ChatMessagePage, MessagesQuery } from "./schemas.ts";
import { chatMessageAnswer } from "./wire.ts";

const tags = ["chat"];

/** The global chat: the WebSocket room and its history over HTTP. */
export function chatRoutes({ chat, chatHub, connections, guard }: { chat: ChatService; chatHub: ChatHub; connections: ConnectionRegistry; guard: AuthGuard }) {
  return new Elysia()
    .use(guard)
    .ws("/ws/chat/", {
      auth: true,
      upgrade: ({ request }) => upgradeHeaders(request),
      open(ws) {
        connections.add(ws.raw);
        void chatHub.join(ws.raw, ws.data.caller);
      },
      message(ws, message) {
        void chatHub.receive(ws.raw, message);
      },
      close(ws) {
        connections.delete(ws.raw);
        void chatHub.leave(ws.raw);
      },
      // Documented in the chat tag's description (src/chat/protocol.ts): OpenAPI has no WebSockets.
      detail: { hide: true },
    })
    .get("/api/chat/messages/", async ({ query }) => pageAnswer(await chat.page(query), chatMessageAnswer), {
      auth: true,
      query: MessagesQuery,
      response: { 200: ChatMessagePage, 400: Problem, 401: Problem, 403: Problem },
      detail: {
        tags,
        summary: "Older chat history",
        description: "Messages before `before` (or the cursor), oldest first within the page; `next_cursor` goes further back, null at the beginning.",
      },
    });
}
