import { idCursor, type Page, pageLimit, toPage } from "../pagination.ts";
import { type Store, statement } from "./store.ts";

/**
 * The read of one user's rows of `table`, newest (highest id) first, continuing from the cursor of
 * the previous page: the shape of every "my …" list (XP history, payment history). Two statements
 * (first page, next pages), on the `(user_id, id)` index; `map` turns a row into the table's
 * domain value. SQLite's parameters are written `+?` (see planner-blind parameters in db/client.ts).
 */
export function userPages<R extends { id: number }, T>(table: string, columns: string, map: (row: R) => T) {
  const first = statement<R, [number, number]>({
    sqlite: `SELECT ${columns} FROM ${table} WHERE user_id = +? ORDER BY id DESC LIMIT +?`,
    pg: `SELECT ${columns} FROM ${table} WHERE user_id = $1 ORDER BY id DESC LIMIT $2`,
  });
  const next = statement<R, [number, number, number]>({
    sqlite: `SELECT ${columns} FROM ${table} WHERE user_id = +? AND id < +? ORDER BY id DESC LIMIT +?`,
    pg: `SELECT ${columns} FROM ${table} WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3`,
  });
  return async (store: Store, userId: number, options: { limit?: number; cursor?: string }): Promise<Page<T>> => {
    const limit = pageLimit(options.limit);
    const before = idCursor(options.cursor);
    const rows = await (before === null ? store.many(first, userId, limit + 1) : store.many(next, userId, before, limit + 1));
    return toPage(rows, limit, map, (last) => last.id);
  };
}
