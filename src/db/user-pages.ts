import type { Database } from "bun:sqlite";
import { idCursor, type Page, pageLimit, toPage } from "../pagination.ts";

/**
 * The read of one user's rows of `table`, newest (highest id) first, continuing from the cursor of
 * the previous page: the shape of every "my …" list (XP history, payment history). Two raw
 * prepared statements (first page, next pages), on the `(user_id, id)` index; `map` turns a row
 * into the table's domain value. Parameters are written `+?` (see planner-blind parameters in db/client.ts).
 */
export function userPages<R extends { id: number }, T>(sqlite: Database, table: string, columns: string, map: (row: R) => T) {
  const first = sqlite.prepare<R, [number, number]>(`SELECT ${columns} FROM ${table} WHERE user_id = +? ORDER BY id DESC LIMIT +?`);
  const next = sqlite.prepare<R, [number, number, number]>(`SELECT ${columns} FROM ${table} WHERE user_id = +? AND id < +? ORDER BY id DESC LIMIT +?`);
  return (userId: number, options: { limit?: number; cursor?: string }): Page<T> => {
    const limit = pageLimit(options.limit);
    const before = idCursor(options.cursor);
    const rows = before === null ? first.all(userId, limit + 1) : next.all(userId, before, limit + 1);
    return toPage(rows, limit, map, (last) => last.id);
  };
}
