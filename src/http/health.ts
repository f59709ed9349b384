import { Elysia, t } from "elysia";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";
import { VERSION } from "../version.ts";
import { Problem } from "./schemas.ts";

const Health = t.Object({ status: t.Literal("ok"), db: t.Literal("ok"), version: t.String() });

/** GET /healthz: 200 while the database answers, 503 problem+json when it does not. */
export function healthRoutes(ctx: AppContext) {
  return new Elysia({ name: "coc-health" }).get(
    "/healthz",
    () => {
      try {
        ctx.sqlite.query("SELECT 1").get();
      } catch {
        throw new AppError("unavailable", "db_unavailable", "The database does not answer");
      }
      return { status: "ok" as const, db: "ok" as const, version: VERSION };
    },
    {
      response: { 200: Health, 503: Problem },
      detail: { tags: ["operations"], summary: "Liveness and database check", security: [] },
    },
  );
}
