import { Elysia } from "elysia";
import { authRoutes } from "./auth/routes.ts";
import { chatRoutes } from "./chat/routes.ts";
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
  return new Elysia({
    name: "coc",
    normalize: false,
    // Elysia otherwise assumes a host name of at least 4 characters when it cuts the path out of
    // the URL: behind a proxy that sends `Host: api` (or `coc`, `web`) every route would be missed.
    handler: { standardHostname: false },
    websocket: {
      // Slow consumers never hold the room back: past 1 MiB waiting, Bun closes the socket.
      backpressureLimit: 1024 * 1024,
      closeOnBackpressureLimit: true,
      maxPayloadLength: 16 * 1024,
      idleTimeout: 120,
    },
  })
    .use(httpPipeline(ctx))
    .use(docs())
    .use(healthRoutes(ctx))
    .use(authRoutes(ctx))
    .use(profileRoutes(ctx))
    .use(xpRoutes(ctx))
    .use(rewardsRoutes(ctx))
    .use(paymentRoutes(ctx))
    .use(chatRoutes(ctx));
}

export type App = ReturnType<typeof createApp>;
