import { FormatRegistry } from "@sinclair/typebox";

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DATE_TIME = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,9})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/i;

/**
 * The `date` and `date-time` formats as RFC 3339 writes them (`2026-03-01`,
 * `2026-03-01T12:00:00.000Z`), each checked by one regular expression. Every answer's schema is checked before
 * it is sent (so a broken answer is a 500, never a leak), and our answers hold these formats on
 * every read: Elysia's own checks try four patterns and build a Date, and @elysiajs/openapi
 * replaces `date` with a check that builds a Zod schema on every call — together about a third of
 * a profile read. Registered over theirs when the app is built.
 */
export function useStrictDateFormats(): void {
  FormatRegistry.Set("date", (value) => DATE.test(value));
  FormatRegistry.Set("date-time", (value) => DATE_TIME.test(value));
}
