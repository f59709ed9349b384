import { t } from "elysia";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from "../pagination.ts";

export const PageQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `Page size (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE})` })),
  cursor: t.Optional(t.String({ maxLength: 200, description: "Opaque: the next_cursor of the previous page" })),
});

/** The schema of a page of `item`. */
export function PageOf<T extends Parameters<typeof t.Array>[0]>(item: T, title: string) {
  return t.Object({ items: t.Array(item), next_cursor: t.Union([t.String(), t.Null()]) }, { title });
}
