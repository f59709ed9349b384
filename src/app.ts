import { Elysia } from "elysia";
import type { AppContext } from "./context.ts";
import { docs } from "./http/docs.ts";
import { healthRoutes } from "./http/health.ts";
import { httpPipeline } from "./http/pipeline.ts";

/**
 * Builds the HTTP application from an explicit context. It never listens: `coc serve` hands it to
 * Bun.serve (src/server.ts), tests call `app.handle(request)` or start it on port 0.
 */
export function createApp(ctx: AppContext) {
  return new Elysia({ name: "coc" }).use(httpPipeline(ctx)).use(docs()).use(healthRoutes(ctx));
}

export type App = ReturnType<typeof createApp>;
