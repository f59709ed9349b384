import type { ChatEntry } from "./chat-service.ts";
import type { ChatMessageAnswer } from "./schemas.ts";

export function chatMessageAnswer(entry: ChatEntry): ChatMessageAnswer {
  return {
    id: entry.id,
    message: entry.message,
    username: entry.username,
    user_id: entry.userId,
    avatar_url: entry.avatarUrl,
    created_at: entry.createdAt.toISOString(),
  };
}
