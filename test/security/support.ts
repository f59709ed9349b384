/**
 * The abuse suite's setting: the real server (Bun.serve on a free port, the app as `coc serve`
 * builds it) on a fresh database, with clients that come from addresses of their choosing. The
 * server trusts the loopback proxy's X-Forwarded-For, as it would behind nginx.
 */
import { afterEach } from "bun:test";
import { createApp } from "../../src/app.ts";
import type { ContextOverrides } from "../../src/context.ts";
import type { FakeClock } from "../support/fake-clock.ts";
import { read, startTestServer } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

const running: { stop(): Promise<void> }[] = [];

/**
 * Call once at the top of each test file: stops, for that file, the servers a test started (a
 * hook in this shared module would be registered for the first file that imports it only).
 */
export function stopServersAfterEach(): void {
  afterEach(async () => {
    for (const server of running.splice(0)) await server.stop();
  });
}

export async function realServer(options: { env?: Record<string, string>; overrides?: ContextOverrides; clock?: FakeClock } = {}) {
  const test = await createTestContext({ ...options, env: { COC_TRUSTED_PROXIES: "loopback", ...options.env } });
  const app = createApp(test.ctx);
  const server = await startTestServer(test.ctx, app);
  running.push(server);

  /** A client at `address` (as X-Forwarded-For tells the server). */
  const from = (address: string) => {
    const send = async (method: string, path: string, options: { json?: unknown; body?: string; token?: string; headers?: Record<string, string> } = {}) => {
      const headers: Record<string, string> = { "x-forwarded-for": address, ...options.headers };
      if (options.token) headers.authorization = `Bearer ${options.token}`;
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] ??= "application/json";
      }
      return read(await fetch(`${server.base}${path}`, { method, headers, body }));
    };
    return {
      send,
      register: (username: string, email = `${username}@example.com`, password = "correct horse battery") =>
        send("POST", "/api/auth/register/", { json: { username, email, password } }),
      login: (login: string, password: string) => send("POST", "/api/auth/login/", { json: { login, password } }),
    };
  };
  return { ...test, app, server, from };
}
