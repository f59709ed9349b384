import { desc, eq, lt, sql } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first, type Store } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import type { Metrics } from "../metrics.ts";
import { chatMessages, profiles, users } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { idCursor, type Page, pageLimit, toPage } from "../pagination.ts";

export const MAX_MESSAGE_LENGTH = 1000;
export const HISTORY_SIZE = 50;
/** The author a deleted account's messages show. */
export const DELETED_AUTHOR = "deleted-user";

/** A stored message with its author as they are now. */
export interface ChatEntry {
  id: number;
  message: string;
  userId: number;
  username: string;
  avatarUrl: string | null;
  createdAt: Date;
}

// C0 and C1 control characters except tab and newline; plus bidi overrides that can disguise text.
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

/**
 * The text a message is stored with: control characters stripped, surrounding white space
 * trimmed, 1–1000 characters (counted as code points). Anything else is a `validation` error.
 */
export function cleanMessage(raw: unknown): string {
  if (typeof raw !== "string") throw new AppError("validation", "invalid_message", "message must be a string");
  const text = raw.replace(CONTROL, "").trim();
  if (text.length === 0) throw new AppError("validation", "empty_message", "message is empty");
  if ([...text].length > MAX_MESSAGE_LENGTH) {
    throw new AppError("validation", "message_too_long", `message is longer than ${MAX_MESSAGE_LENGTH} characters`);
  }
  return text;
}

/** Stores and reads the global room's messages. Knows nothing of sockets. */
export class ChatService {
  readonly #select;

  constructor(private readonly deps: { reader: Store; writer: Writer; clock: Clock; metrics: Metrics }) {
    this.#select = () =>
      deps.reader.db
        .select({
          id: chatMessages.id,
          message: chatMessages.message,
          userId: chatMessages.userId,
          // A deleted account's messages stay, detached from any person.
          username: sql<string>`CASE WHEN ${users.deletedAt} IS NULL THEN ${users.username} ELSE ${DELETED_AUTHOR} END`,
          avatarUrl: profiles.avatarUrl,
          createdAt: chatMessages.createdAt,
        })
        .from(chatMessages)
        .innerJoin(users, eq(users.id, chatMessages.userId))
        .innerJoin(profiles, eq(profiles.userId, chatMessages.userId));
  }

  /** Cleans and stores a message; answers it with its author once it is durable. */
  async post(userId: number, raw: unknown): Promise<ChatEntry> {
    const text = cleanMessage(raw);
    const now = this.deps.clock.now();
    // The author is read in the same unit: the answer needs no read after the commit.
    const { id, author } = await this.deps.writer.run(async (tx) => ({
      id: first(await tx.db.insert(chatMessages).values({ userId, message: text, createdAt: now }).returning({ id: chatMessages.id }))!.id,
      author: first(
        await tx.db
          .select({ username: users.username, avatar: profiles.avatarUrl })
          .from(users)
          .innerJoin(profiles, eq(profiles.userId, users.id))
          .where(eq(users.id, userId)),
      ),
    }));
    this.deps.metrics.chatMessage();
    return { id, message: text, userId, username: author?.username ?? "", avatarUrl: author?.avatar ?? null, createdAt: now };
  }

  /** The last `size` messages, oldest first (the history sent on connect). */
  async recent(size = HISTORY_SIZE): Promise<ChatEntry[]> {
    this.deps.reader.enter();
    return (await this.#select().orderBy(desc(chatMessages.id)).limit(size)).reverse();
  }

  /**
   * Older history, for scrolling back: messages before `before` (a message id, or the cursor of
   * the previous page), oldest first within the page; the next cursor continues further back.
   */
  async page(options: { before?: number; cursor?: string; limit?: number }): Promise<Page<ChatEntry>> {
    const limit = pageLimit(options.limit);
    const before = options.cursor !== undefined ? idCursor(options.cursor) : (options.before ?? null);
    this.deps.reader.enter();
    const rows = await this.#select()
      .where(before === null ? sql`1 = 1` : lt(chatMessages.id, before))
      .orderBy(desc(chatMessages.id))
      .limit(limit + 1);
    // Fetched newest first; shown oldest first; the cursor continues from the oldest shown.
    const page = toPage(rows, limit, (row) => row, (oldest) => oldest.id);
    return { items: page.items.reverse(), nextCursor: page.nextCursor };
  }
}
