import { type IntegerOptions, Type } from "@sinclair/typebox";
import { t } from "elysia";

/**
 * A whole number in a JSON body: a JSON number, never a string of digits. (Elysia's `t.Integer`
 * also takes "49", for query strings where everything is text; a body has real numbers.)
 */
export const JsonInteger = (options?: IntegerOptions) => Type.Integer(options);

/** RFC 9457 problem details, as every error of the API is answered. */
export const Problem = t.Object(
  {
    type: t.Literal("about:blank"),
    title: t.String(),
    status: t.Integer(),
    code: t.String({ description: "Stable snake_case code clients branch on" }),
    detail: t.String(),
    request_id: t.Optional(t.String()),
    errors: t.Optional(t.Array(t.Object({ path: t.String(), message: t.String() }))),
  },
  { title: "Problem", description: "application/problem+json" },
);
