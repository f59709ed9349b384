import { type AnyElysia, Elysia } from "elysia";
import { authRoutes } from "./auth/routes.ts";
import { chatProtocol } from "./chat/protocol.ts";
import { chatRoutes } from "./chat/routes.ts";
import type { AppContext } from "./context.ts";
import { authGuard } from "./http/auth-guard.ts";
import { clientAddressResolver } from "./http/client-address.ts";
import { docs } from "./http/docs.ts";
import { useStrictDateFormats } from "./http/formats.ts";
import { healthRoutes } from "./http/health.ts";
import { metricsRoutes } from "./http/metrics.ts";
import { httpEdge } from "./http/pipeline.ts";
import { paymentRoutes } from "./payments/routes.ts";
import { rewardsRoutes } from "./rewards/routes.ts";
import { PROFILE_UPLOAD_PATHS, profileRoutes } from "./users/routes.ts";
import { mediaRoutes, webAppRoutes } from "./web/routes.ts";
import { xpRoutes } from "./xp/routes.ts";

/**
 * Builds the HTTP application from an explicit context: each area's routes get the services they
 * use, nothing more. It never listens: `coc serve` hands it to Bun.serve (src/server.ts), tests
 * call `app.handle(request)` or start it on port 0.
 */
export function createApp(ctx: AppContext) {
  useStrictDateFormats();
  const { config, log, services, connections, metrics } = ctx;
  const guard = authGuard((token) => services.auth.authenticate(token));
  const clientAddress = clientAddressResolver(config.trustedProxies);
  // The docs read the routes once they are all registered, when the document is first asked for.
  const built: { app?: AnyElysia } = {};
  // normalize: false: unknown fields in a body are refused (400), never silently dropped, and an
  // answer that does not match its documented schema is a 500 rather than a leak.
  const app = new Elysia({
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
    // Profile edits also come as multipart with two images (the original web client's way).
    // Requests are counted only when someone scrapes them (a few µs a request otherwise spent).
    .use(httpEdge(config, log, { paths: PROFILE_UPLOAD_PATHS, maxBytes: 2 * config.maxUploadBytes + 64 * 1024 }, config.metricsToken ? metrics : undefined))
    .use(docs({ publicUrl: config.publicUrl, chatProtocol: chatProtocol(config.chatRate), routes: () => built.app?.routes ?? [], multipartPaths: PROFILE_UPLOAD_PATHS, metrics: config.metricsToken !== null }))
    .use(healthRoutes(services.health))
    .use(metricsRoutes(metrics, config.metricsToken))
    .use(authRoutes({ auth: services.auth, oauth: services.oauth, accounts: services.accounts, guard, clientAddress, publicUrl: config.publicUrl }))
    .use(
      profileRoutes({
        profiles: services.profiles,
        referrals: services.referrals,
        follows: services.follows,
        accounts: services.accounts,
        users: services.users,
        guard,
        referralDailyCap: config.referralDailyCap,
        publicUrl: config.publicUrl,
      }),
    )
    .use(xpRoutes({ xp: services.xp, guard }))
    .use(rewardsRoutes({ rewards: services.rewards, rules: config.rewards, guard }))
    .use(paymentRoutes({ payments: services.payments, guard }))
    .use(chatRoutes({ chat: services.chat, chatHub: services.chatHub, connections, guard }))
    .use(mediaRoutes(services.media))
    // Last: it answers every GET that no route above did (the web app's own routes).
    .use(config.webRoot ? webAppRoutes(config.webRoot) : new Elysia({ name: "coc-no-web-app" }));
  built.app = app;
  return app;
}

/** The app's type: what a typed client (`treaty<App>` from @elysiajs/eden) is built from. */
export type App = ReturnType<typeof createApp>;
