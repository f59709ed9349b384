import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { VERSION } from "../version.ts";
import { Problem } from "./schemas.ts";

const Health = Type.Object({ status: Type.Literal("ok"), db: Type.Literal("ok"), version: Type.String() }, { title: "Health" });

/** GET /healthz: 200 while the database answers, 503 problem+json when it does not. */
export function healthRoutes(health: { check(): Promise<void> }) {
  return new Elysia({ name: "coc-health" }).get(
    "/healthz",
    async () => {
      await health.check();
      return { status: "ok" as const, db: "ok" as const, version: VERSION };
    },
    {
      response: { 200: Health, 503: Problem },
      detail: { tags: ["operations"], summary: "Liveness and database check" },
    },
  );
}
