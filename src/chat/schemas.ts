import { type Static, Type } from "@sinclair/typebox";
import { t } from "elysia";
import { PageOf } from "../http/pagination.ts";

export const ChatMessage = Type.Object(
  {
    id: Type.Integer(),
    message: Type.String(),
    username: Type.String(),
    user_id: Type.Integer(),
    avatar_url: Type.Union([Type.String(), Type.Null()]),
    created_at: Type.String({ format: "date-time" }),
  },
  { title: "ChatMessage" },
);

export const ChatMessagePage = PageOf(ChatMessage, "ChatMessagePage");

/** `?before=&cursor=&limit=` (Elysia's `t.Integer` reads digits in a query string). */
export const MessagesQuery = t.Object({
  before: t.Optional(t.Integer({ minimum: 1, description: "Only messages older than this id" })),
  cursor: t.Optional(t.String({ maxLength: 200, description: "next_cursor of the previous page" })),
  limit: t.Optional(t.Integer({ minimum: 1, maximum: 100, description: "Page size (default 20, max 100)" })),
});

export type ChatMessageAnswer = Static<typeof ChatMessage>;
