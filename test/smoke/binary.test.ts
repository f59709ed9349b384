import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/db/migrate.ts";
import { VERSION } from "../../src/version.ts";
import { builtBinary } from "../support/binary.ts";
import { LogReader } from "../support/cli.ts";

/**
 * The compiled binary, as a self-hoster gets it: built by `bun run build`, copied alone into an
 * empty folder far from node_modules, and run from there.
 */
let dir: string;
let binary: string;

beforeAll(async () => {
  const built = await builtBinary();
  dir = mkdtempSync(join(tmpdir(), "coc-smoke-"));
  binary = join(dir, "coc");
  copyFileSync(built, binary);
  Bun.spawnSync(["chmod", "+x", binary]);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function serve(env: Record<string, string> = {}) {
  const child = Bun.spawn([binary, "serve", "--port", "0", "--host", "127.0.0.1"], {
    cwd: dir,
    env: { PATH: "/usr/bin:/bin", HOME: dir, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  return { child, log: new LogReader(child.stdout) };
}

async function stop(child: ReturnType<typeof serve>["child"]) {
  child.kill("SIGTERM");
  expect(await child.exited).toBe(0);
}

describe("dist/coc", () => {
  test("serves /metrics from inside the binary (prom-client bundled), behind its token", async () => {
    const token = "smoke-metrics-token-0123";
    const server = serve({ COC_METRICS_TOKEN: token });
    const { url } = await server.log.waitFor((line) => line.msg === "listening");
    expect((await fetch(new URL("/healthz", url))).status).toBe(200);
    expect((await fetch(new URL("/metrics", url))).status).toBe(401);
    const scraped = await fetch(new URL("/metrics", url), { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    const text = await scraped.text();
    expect(text).toContain('coc_http_requests_total{method="GET",route="/healthz",status="200"} 1');
    expect(text).toContain("coc_process_cpu_seconds_total");
    await stop(server.child);
  });

  test("is one file that needs no node_modules", () => {
    expect(existsSync(join(dir, "node_modules"))).toBe(false);
    expect(statSync(binary).size).toBeGreaterThan(50 * 1024 * 1024);
    const version = Bun.spawnSync([binary, "--version"], { cwd: dir });
    expect(version.exitCode).toBe(0);
    expect(version.stdout.toString().trim()).toBe(VERSION);
  });

  test("serves from an empty folder, creates and migrates its database, and keeps data across a restart", async () => {
    const first = serve();
    const { url } = await first.log.waitFor((line) => line.msg === "listening");
    const health = await fetch(new URL("/healthz", url));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", db: "ok", version: VERSION });

    const spec = (await (await fetch(new URL("/swagger/json", url))).json()) as any;
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.paths["/healthz"]).toBeDefined();
    const page = await (await fetch(new URL("/swagger", url))).text();
    const bundle = /src="([^"]+swagger-ui-bundle\.js)"/.exec(page)?.[1];
    expect(bundle).toBeDefined();
    expect((await fetch(new URL(bundle!, url))).status).toBe(200);

    const dbFile = join(dir, "data", "coc.db");
    const secretFile = join(dir, "data", "jwt-secret");
    expect(existsSync(dbFile)).toBe(true);
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const secret = readFileSync(secretFile, "utf8");

    const sqlite = new Database(dbFile, { readonly: true });
    expect(sqlite.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: embeddedMigrations().length });
    sqlite.close();
    const account = { username: "survivor", email: "survivor@example.com", password: "still here after restart" };
    const registered = await fetch(new URL("/api/auth/register/", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(account),
    });
    expect(registered.status).toBe(201);
    const session = (await registered.json()) as { refresh_token: string };
    await stop(first.child);

    const second = serve();
    const again = await second.log.waitFor((line) => line.msg === "listening");
    expect((await fetch(new URL("/healthz", again.url))).status).toBe(200);
    expect(second.log.lines.some((line) => line.msg === "database migrated")).toBe(false);
    const login = await fetch(new URL("/api/auth/login/", again.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: account.username, password: account.password }),
    });
    expect(login.status).toBe(200);
    const refreshed = await fetch(new URL("/api/auth/refresh/", again.url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: session.refresh_token }),
    });
    expect(refreshed.status).toBe(200);
    await stop(second.child);

    const reopened = new Database(dbFile, { readonly: true });
    expect(reopened.query("SELECT username FROM users").all()).toEqual([{ username: "survivor" }]);
    expect(reopened.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: embeddedMigrations().length });
    reopened.close();
    expect(readFileSync(secretFile, "utf8")).toBe(secret);
  });
});
