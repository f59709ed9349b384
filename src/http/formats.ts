import { FormatRegistry } from "@sinclair/typebox";

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function validDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= days;
}

/**
 * The `date` and `date-time` formats as RFC 3339 says (`2026-03-01`, `2026-03-01T12:00:00.000Z`),
 * checked by one regular expression and a calendar test. Every answer's schema is checked before
 * it is sent (so a broken answer is a 500, never a leak), and our answers hold these formats on
 * every read: Elysia's own checks try four patterns and build a Date, and @elysiajs/openapi
 * replaces `date` with a check that builds a Zod schema on every call — together about a third of
 * a profile read. Registered over theirs when the app is built.
 */
export function useStrictDateFormats(): void {
  FormatRegistry.Set("date", (value) => {
    const match = DATE.exec(value);
    return match !== null && validDay(Number(match[1]), Number(match[2]), Number(match[3]));
  });
  FormatRegistry.Set("date-time", (value) => {
    const match = DATE_TIME.exec(value);
    return match !== null && validDay(Number(match[1]), Number(match[2]), Number(match[3])) && Number(match[4]) < 24 && Number(match[5]) < 60 && Number(match[6]) < 61;
  });
}
