import { type Static, type TSchema, Type } from "@sinclair/typebox";
import { t } from "elysia";
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, type Page } from "../pagination.ts";

/** `?limit=&cursor=`. Elysia's `t.Integer` reads the digits of a query string as a number. */
export const PageQuery = t.Object({
  limit: t.Optional(t.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, description: `Page size (default ${DEFAULT_PAGE_SIZE}, max ${MAX_PAGE_SIZE})` })),
  cursor: t.Optional(t.String({ maxLength: 200, description: "Opaque: the next_cursor of the previous page" })),
});

/** API.md: every list answer is `{items, next_cursor}`, next_cursor null on the last page. */
export function PageOf<T extends TSchema>(item: T, title: string) {
  return Type.Object({ items: Type.Array(item), next_cursor: Type.Union([Type.String(), Type.Null()]) }, { title });
}

/** A page as it goes on the wire, each item mapped by `answer`. */
export function pageAnswer<T, A>(page: Page<T>, answer: (item: T) => A): { items: A[]; next_cursor: string | null } {
  return { items: page.items.map(answer), next_cursor: page.nextCursor };
}

export type PageAnswer<T extends TSchema> = Static<ReturnType<typeof PageOf<T>>>;

/**
 * The `Link: <…>; rel="next"` header of a list answered as a plain array (the original web
 * client's lists), or null on the last page. The URL is the request's own, on COC_PUBLIC_URL when
 * set (behind a proxy the request's host may be an internal one).
 */
export function nextLink(request: Request, publicUrl: string | null, page: Page<unknown>, limit: number | undefined): string | null {
  if (page.nextCursor === null) return null;
  const url = new URL(request.url);
  const base = publicUrl ?? url.origin;
  const query = new URLSearchParams();
  if (limit !== undefined) query.set("limit", String(limit));
  query.set("cursor", page.nextCursor);
  return `<${base}${url.pathname}?${query}>; rel="next"`;
}
