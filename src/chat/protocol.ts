import { HISTORY_SIZE, MAX_MESSAGE_LENGTH } from "./chat-service.ts";
import type { BucketRule } from "./rate-limit.ts";

/** The WebSocket protocol, as the docs describe it, with the live rate limit. */
export function chatProtocol(rate: BucketRule): string {
  return `Connect to \`ws://<host>/ws/chat/\` with \`?token=<access_token>\` or the subprotocol pair \`["bearer", "<access_token>"]\` (the server answers with the \`bearer\` subprotocol). A missing or bad token refuses the upgrade with 401.

Server → client frames (JSON text):
- On connect, the last ${HISTORY_SIZE} messages, oldest first, one \`{"type": "chat_message", …, "history": true}\` frame each, then \`{"type": "history_end", "count": n}\`.
- \`{"type": "user_count", "count": n}\`: to everyone whenever someone joins or leaves (distinct users online).
- \`{"type": "chat_message", "id", "message", "username", "user_id", "avatar_url", "created_at"}\`: every stored message, to everyone (the sender included).
- \`{"type": "error", "code", "detail"}\`: to the sender alone; nothing was stored or sent. Codes: \`invalid_frame\` (not a JSON object), \`unknown_type\`, \`invalid_message\`, \`empty_message\`, \`message_too_long\` (over ${MAX_MESSAGE_LENGTH} characters after trimming), \`invalid_token\` (an \`authenticate\` frame with a bad or another user's token), \`rate_limited\` (with \`retry_after\` seconds). Every frame, good or bad, spends from the sender's rate limit (a burst of ${rate.burst}, then ${rate.perSecond} per second); the first frame over it gets \`rate_limited\`, later ones are dropped unanswered until one gets through.
- \`{"type": "authenticated", "expires_at"}\`: the answer to an \`authenticate\` frame.

Client → server: \`{"type": "chat_message", "message": "…"}\` (the bare \`{"message": "…"}\` of the original frontend works too). Control characters are stripped and the text trimmed. \`{"type": "authenticate", "token": "<access_token>"}\`: a fresh token of the same user, to keep the socket open past the expiry of the one it opened with.

Close codes: 1001 server shutting down; 1008 account disabled, access token expired or session signed out (checked every 15 s and on each message); 1009 frame over 16 KiB; a client that does not read its messages is disconnected once 1 MiB is waiting for it (slow consumers never hold the room back).`;
}
