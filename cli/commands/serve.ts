import type { Command } from "commander";
import { loadConfig } from "../../src/config.ts";
import { createContext } from "../../src/context.ts";
import { startServer, stopOnSignals } from "../../src/server.ts";
import { VERSION } from "../../src/version.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions, withListenOptions } from "../options.ts";

export function serveCommand(program: Command, io: CliIO, running: () => void): void {
  withDatabaseOptions(withListenOptions(program.command("serve")))
    .description("run the HTTP API and the WebSocket chat (and, with --web, a built web app)")
    .option("--web <folder>", "serve a built single-page web app from this folder (env COC_WEB_ROOT)")
    .addHelpText(
      "after",
      "\nExamples:\n  coc serve\n  coc serve --port 9000 --data-dir /var/lib/coc\n  coc serve --web ./codeofclans-web/dist\n  COC_DATABASE=:memory: coc serve --port 0",
    )
    .action(async (options: Record<string, unknown>) => {
      // The HTTP stack (Elysia, the docs) loads only for serve: admin commands start faster.
      const [{ createApp }, { DOCS_PATH }, { isProduction }] = await Promise.all([
        import("../../src/app.ts"),
        import("../../src/http/docs.ts"),
        import("elysia/error"),
      ]);
      const config = loadConfig(io.env, configFlags(options), io.cwd);
      const ctx = await createContext(config);
      let server: Awaited<ReturnType<typeof startServer>>;
      try {
        server = await startServer(ctx, createApp(ctx), { port: config.port, host: config.host });
      } catch (error) {
        await ctx.close();
        throw error;
      }
      ctx.log.info("listening", {
        version: VERSION,
        url: server.url.href,
        docs: new URL(DOCS_PATH, server.url).href,
        database: config.databaseUrl ? describePostgres(config.databaseUrl) : config.database,
        redis: config.redisUrl ? "shared chat and throttles" : "none (chat and throttles in this process)",
        // Elysia's own verdict: development mode would print request bodies into validation errors.
        mode: isProduction ? "production" : "development",
      });
      stopOnSignals({
        source: io.signals,
        stop: () => server.stop(),
        exit: (code) => {
          ctx.log.flush();
          io.exit(code);
        },
        onSignal: (signal, second) =>
          ctx.log.info(second ? "second signal: exiting now" : "signal received", { signal }),
      });
      running();
    });
}

/** The Postgres server and database, never the password. */
function describePostgres(url: string): string {
  const parsed = new URL(url);
  return `postgres://${parsed.host}${parsed.pathname}`;
}
