import { and, desc, eq, lt } from "drizzle-orm";
import type { AnySQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { idCursor, type Page, pageLimit, toPage } from "../pagination.ts";
import type { Db } from "./client.ts";

/**
 * A page of one user's rows of `table`, newest (highest id) first, continuing from the cursor
 * of the previous page: the shape of every "my …" list (XP history, payment history).
 */
export function userPage<T extends SQLiteTable & { id: AnySQLiteColumn; userId: AnySQLiteColumn }, V>(
  db: Db,
  table: T,
  userId: number,
  options: { limit?: number; cursor?: string },
  view: (row: T["$inferSelect"]) => V,
): Page<V> {
  const limit = pageLimit(options.limit);
  const before = idCursor(options.cursor);
  const mine = eq(table.userId, userId);
  const rows = db
    .select()
    .from(table as SQLiteTable)
    .where(before === null ? mine : and(mine, lt(table.id, before)))
    .orderBy(desc(table.id))
    .limit(limit + 1)
    .all() as T["$inferSelect"][];
  return toPage(rows, limit, view, (last) => (last as { id: number }).id);
}
