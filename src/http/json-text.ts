/**
 * Answers that write their own JSON text. JSON.stringify leaves its fast path for a whole value as
 * soon as one object in it has integer-like keys (the reward tables, `{"1": 5, "2": 10, …}`): the
 * check-in state took 6.4 µs to write that way against 1.0 µs without its two tables. An answer
 * marked with `writtenAs` is still checked against its schema as a value; the edge then sends the
 * text its writer gives instead of stringifying it (see `httpEdge`).
 */
const JSON_TEXT = Symbol("coc.jsonText");

type Written = { [JSON_TEXT]?: () => string };

/** Marks `answer` to be sent as the text `write` gives, which must be the JSON of `answer`. */
export function writtenAs<T extends object>(answer: T, write: () => string): T {
  Object.defineProperty(answer, JSON_TEXT, { value: write });
  return answer;
}

/** The JSON text an answer writes itself, or null for an ordinary answer. */
export function ownJsonText(answer: unknown): string | null {
  const write = answer !== null && typeof answer === "object" ? (answer as Written)[JSON_TEXT] : undefined;
  return write ? write() : null;
}
