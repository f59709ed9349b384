import { Elysia } from "elysia";
import { authRoutes } from "./auth/routes.ts";
import type { AppContext } from "./context.ts";
import { docs } from "./http/docs.ts";
import { healthRoutes } from "./http/health.ts";
import { httpPipeline } from "./http/pipeline.ts";
import { paymentRoutes } from "./payments/routes.ts";
import { rewardsRoutes } from "./rewards/routes.ts";
import { profileRoutes } from "./users/routes.ts";
import { xpRoutes } from "./xp/routes.ts";

/**
 * Builds the HTTP application from an explicit context. It never listens: `coc serve` hands it to
 * Bun.serve (src/server.ts), tests call `app.handle(request)` or start it on port 0.
 */
export function createApp(ctx: AppContext) {
  // normalize: false: unknown fields in a body are refused (400), never silently dropped, and an
  // answer that does not match its documented schema is a 500 rather than a leak.
  return new Elysia({ name: "coc", normalize: false })
    .use(httpPipeline(ctx))
    .use(docs())
    .use(healthRoutes(ctx))
    .use(authRoutes(ctx))
    .use(profileRoutes(ctx))
    .use(xpRoutes(ctx))
    .use(rewardsRoutes(ctx))
    .use(paymentRoutes(ctx));
}

export type App = ReturnType<typeof createApp>;
