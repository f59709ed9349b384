import { t } from "elysia";

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
