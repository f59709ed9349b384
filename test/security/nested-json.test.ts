import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "../../src/http/json-depth.ts";
import { builtBinary } from "../support/binary.ts";
import { LogReader } from "../support/cli.ts";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const deep = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

describe("deeply nested JSON", () => {
  test("the depth check reads nesting only, not brackets inside strings", () => {
    expect(nestsDeeperThan(deep(MAX_JSON_DEPTH))).toBe(false);
    expect(nestsDeeperThan(deep(MAX_JSON_DEPTH + 1))).toBe(true);
    expect(nestsDeeperThan(`{"a": "${"[".repeat(10_000)}", "b": ["\\"[[["]}`)).toBe(false);
    expect(nestsDeeperThan(`{"a":${"{\"a\":".repeat(70)}1${"}".repeat(70)}}`)).toBe(true);
  });

  test("every route that reads a body refuses one nested past the limit with a 400 problem, before any validation", async () => {
    const s = await realServer();
    const routes = s.app.routes.filter((route) => route.hooks && "body" in route.hooks && route.hooks.body !== undefined);
    expect(routes.length).toBeGreaterThanOrEqual(10);
    for (const route of routes) {
      const path = route.path.replace(":provider", "github").replace(":username", "someone");
      for (const depth of [MAX_JSON_DEPTH + 1, 20_000, 100_000]) {
        const answer = await s.from("198.51.100.1").send(route.method, path, { body: deep(depth), headers: { "content-type": "application/json" } });
        expect([route.method, path, depth, answer.status, answer.body.code]).toEqual([route.method, path, depth, 400, "too_deeply_nested"]);
        expect(answer.headers.get("content-type")).toBe("application/problem+json");
      }
    }
  });

  test("a body nested exactly to the limit still reaches validation (and is refused there for its shape)", async () => {
    const s = await realServer();
    const answer = await s.from("198.51.100.1").send("POST", "/api/auth/login/", { body: deep(MAX_JSON_DEPTH), headers: { "content-type": "application/json" } });
    expect([answer.status, answer.body.code]).toEqual([400, "validation_failed"]);
  });
});

describe("the compiled binary", () => {
  test("runs Elysia in production mode even when NODE_ENV says development, and refuses deep bodies", async () => {
    const binary = await builtBinary();
    const dir = mkdtempSync(join(tmpdir(), "coc-mode-"));
    const child = Bun.spawn([binary, "serve", "--port", "0", "--host", "127.0.0.1"], {
      cwd: dir,
      env: { PATH: "/usr/bin:/bin", HOME: dir, NODE_ENV: "development" },
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      const listening = await new LogReader(child.stdout).waitFor((line) => line.msg === "listening");
      expect(listening.mode).toBe("production");
      const answer = await fetch(new URL("/api/auth/login/", listening.url), { method: "POST", headers: { "content-type": "application/json" }, body: deep(100_000) });
      expect(answer.status).toBe(400);
      expect(((await answer.json()) as { code: string }).code).toBe("too_deeply_nested");
      expect((await fetch(new URL("/healthz", listening.url))).status).toBe(200);
    } finally {
      child.kill("SIGTERM");
      await child.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
