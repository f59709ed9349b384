import type { Server } from "bun";
import type { AnyElysia } from "elysia";
import type { AppContext } from "./context.ts";
import { claimInstance } from "./db/postgres.ts";
import { CLOSE_GOING_AWAY } from "./http/connections.ts";

export interface RunningServer {
  /** Where it listens, with the port the OS chose when asked for port 0. */
  url: URL;
  server: Server<unknown>;
  /**
   * Graceful stop: stop accepting, close WebSockets with 1001, let requests in flight finish
   * (for at most `drainMs`, then cut them), then close the database. Safe to call twice.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
  /** The periodic upkeep, run now (it also runs every SWEEP_INTERVAL_MS). */
  sweep(): Promise<void>;
}

/** How often the periodic upkeep runs (see `sweep`). */
export const SWEEP_INTERVAL_MS = 15_000;

/**
 * The periodic upkeep of a running server: closes chat sockets whose account was disabled, whose
 * token expired or whose session was signed out; deletes expired OAuth states; forgets expired
 * throttle windows. Each part reads the clock, so a test runs it at any time it likes.
 */
export async function sweep(ctx: AppContext): Promise<void> {
  const { chatHub, oauth, throttles } = ctx.services;
  try {
    await chatHub.sweep();
    const purged = await oauth.purgeExpired();
    if (purged > 0) ctx.log.debug("expired sign-in states purged", { purged });
    throttles.prune();
  } catch (error) {
    // A locked or closing database must not stop the next sweep.
    ctx.log.error("periodic sweep failed", { error });
  }
}

/** How long requests in flight get to finish on shutdown before they are cut. */
export const DEFAULT_DRAIN_MS = 10_000;

/** Starts the app on Bun.serve and returns how to stop it. */
export async function startServer(ctx: AppContext, app: AnyElysia, listen: { port: number; host: string }): Promise<RunningServer> {
  // On Postgres, several instances may share the database only when they share Redis too.
  const claim = ctx.postgres ? await claimInstance(ctx.postgres, ctx.redis !== null) : null;
  try {
    return await listenAndServe(ctx, app, listen, claim);
  } catch (error) {
    await claim?.release();
    throw error;
  }
}

async function listenAndServe(ctx: AppContext, app: AnyElysia, listen: { port: number; host: string }, claim: { release(): Promise<void> } | null): Promise<RunningServer> {
  app.listen({
    port: listen.port,
    hostname: listen.host,
    // Two servers on one port would split traffic between two processes; fail loudly instead.
    reusePort: false,
    development: false,
    // The app refuses bodies over its own limit with problem+json (by Content-Length before
    // reading, or while streaming a chunked body); Bun's cut-off, which answers bare, stays far above.
    maxRequestBodySize: 1024 * 1024 * 1024,
  });
  const server = app.server;
  if (!server) throw new Error("the server did not start");
  const { chatHub } = ctx.services;
  try {
    // Listening for other instances' frames before the first socket can join.
    await chatHub.start((topic, data) => {
      server.publish(topic, data);
    });
  } catch (error) {
    await server.stop(true);
    throw error;
  }
  // Sockets of users disabled by an admin (possibly from another process) are closed within this period.
  const sweeper = setInterval(() => sweep(ctx), SWEEP_INTERVAL_MS);
  let stopping: Promise<void> | undefined;
  return {
    url: server.url,
    server,
    sweep: () => sweep(ctx),
    stop({ drainMs = DEFAULT_DRAIN_MS } = {}) {
      stopping ??= (async () => {
        ctx.log.info("shutting down", { pending_requests: server.pendingRequests, open_connections: ctx.connections.size });
        clearInterval(sweeper);
        const drained = server.stop(false);
        ctx.connections.closeAll(CLOSE_GOING_AWAY, "server shutting down");
        let timer: Timer | undefined;
        const late = new Promise<"late">((resolve) => {
          timer = setTimeout(() => resolve("late"), drainMs);
        });
        if ((await Promise.race([drained, late])) === "late") {
          ctx.log.warn("requests still in flight after the drain period; closing them", { drain_ms: drainMs });
          await server.stop(true);
        }
        clearTimeout(timer);
        await chatHub.stop();
        await claim?.release().catch(() => undefined);
        ctx.log.info("writer batches", { ...ctx.writer.stats() });
        await ctx.close();
        ctx.log.info("stopped");
        ctx.log.flush();
      })();
      return stopping;
    },
  };
}

export interface SignalSource {
  on(signal: "SIGINT" | "SIGTERM", listener: () => void): unknown;
}

/**
 * First SIGINT/SIGTERM: graceful stop, then exit 0. A second one while stopping: exit at once
 * (130 for SIGINT, 143 for SIGTERM), for the admin who does not want to wait.
 */
export function stopOnSignals(options: {
  source: SignalSource;
  stop: () => Promise<void>;
  exit: (code: number) => void;
  onSignal?: (signal: string, second: boolean) => void;
}): void {
  let received = false;
  const handle = (signal: "SIGINT" | "SIGTERM") => () => {
    const second = received;
    received = true;
    options.onSignal?.(signal, second);
    if (second) {
      options.exit(signal === "SIGINT" ? 130 : 143);
      return;
    }
    options.stop().then(
      () => options.exit(0),
      () => options.exit(1),
    );
  };
  options.source.on("SIGINT", handle("SIGINT"));
  options.source.on("SIGTERM", handle("SIGTERM"));
}
