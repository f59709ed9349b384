import { type SchemaOptions, type TLiteral, type TUnion, Type } from "@sinclair/typebox";

/*
 * Answer and body shapes are TypeBox schemas (`Type`), one definition each in their area's
 * schemas.ts, their TypeScript types derived with `Static<>`. Elysia's own `t.Integer` is not used
 * for them: it also accepts "49" for 49 (meant for query strings, where everything is text), and
 * documents every integer as `string | integer`. Query strings use Elysia's `t`, which reads them.
 */

/** RFC 9457 problem details, as every error of the API is answered. */
export const Problem = Type.Object(
  {
    type: Type.Literal("about:blank"),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String({ description: "Stable snake_case code clients branch on" }),
    detail: Type.String(),
    error: Type.String({ description: "The same as detail (what the original web client reads)" }),
    request_id: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { title: "Problem", description: "application/problem+json" },
);

type Literals<T extends readonly string[]> = { -readonly [K in keyof T]: TLiteral<T[K]> };

/** One of the given strings (`"check_in" | "purchase" | …`), typed as that union. */
export function OneOf<const T extends readonly string[]>(values: T, options?: SchemaOptions): TUnion<Literals<T>> {
  return Type.Union(values.map((value) => Type.Literal(value)), options) as unknown as TUnion<Literals<T>>;
}
