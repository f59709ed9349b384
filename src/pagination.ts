import { AppError } from "./errors.ts";

/** A page of a list and where the next one starts (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function pageLimit(limit: number | undefined): number {
  if (limit === undefined) return DEFAULT_PAGE_SIZE;
  return Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(limit)));
}

/** Cursors are opaque to clients: base64url JSON of where the previous page stopped. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString("base64url");
}

export function decodeCursor<T>(cursor: string, read: (value: unknown) => T | null): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  const position = value === undefined ? null : read(value);
  if (position === null) throw new AppError("validation", "invalid_cursor", "The cursor is not one this list gave out");
  return position;
}

/** Reads a cursor that holds a row id (lists ordered by id). */
export function idCursor(cursor: string | undefined): number | null {
  return cursor === undefined ? null : decodeCursor(cursor, (value) => (Number.isSafeInteger(value) ? (value as number) : null));
}

/**
 * Cuts a page from `rows` fetched with `limit + 1` (the extra row only says whether there is a
 * next page) and maps it; the next cursor is made from the last row shown.
 */
export function toPage<R, T>(rows: R[], limit: number, view: (row: R) => T, cursorOf: (last: R) => unknown): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(view), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(cursorOf(last)) : null };
}
