import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { embeddedMigrations } from "../../src/db/migrate.ts";
import { VERSION } from "../../src/version.ts";
import { CLI_ENTRY, LogReader, runCoc } from "../support/cli.ts";
import { useTempDirs } from "../support/temp.ts";

const tempDir = useTempDirs("coc-cli-");

describe("coc usage", () => {
  test("--version prints the version", async () => {
    for (const flag of ["--version", "-v"]) {
      const result = await runCoc([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(VERSION);
    }
  });

  test("help lists the commands; help <command> shows its flags and examples", async () => {
    const all = await runCoc(["help"]);
    expect(all.code).toBe(0);
    for (const command of ["serve", "migrate", "help"]) expect(all.stdout).toContain(command);
    const serve = await runCoc(["help", "serve"]);
    expect(serve.code).toBe(0);
    for (const flag of ["--port", "--host", "--data-dir", "Examples:"]) expect(serve.stdout).toContain(flag);
    expect((await runCoc(["serve", "--help"])).stdout).toBe(serve.stdout);
  });

  test.each([
    [["frobnicate"], "unknown command 'frobnicate'"],
    [["serve", "--prot", "80"], "unknown option '--prot'"],
    [["serve", "--port", "http"], "argument 'http' is invalid"],
    [["serve", "--port", "65536"], "is invalid"],
    [["migrate", "--database"], "argument missing"],
    [[], "missing command"],
  ])("%p exits 2 with the problem and the usage", async (argv, message) => {
    const result = await runCoc(argv);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("Usage: coc");
  });

  test("a bad environment variable exits 1 naming it", async () => {
    const result = await runCoc(["migrate"], { env: { COC_DATABASE: ":memory:", COC_LOG_LEVEL: "chatty" } });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('error: invalid configuration: COC_LOG_LEVEL: expected one of debug, info, warn, error, got "chatty"\n');
  });
});

describe("coc migrate", () => {
  test("creates and migrates the database in the data dir, then reports it up to date", async () => {
    const cwd = tempDir();
    const first = await runCoc(["migrate"], { cwd });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`${join(cwd, "data", "coc.db")}: applied ${embeddedMigrations().length} migration(s)`);
    const second = await runCoc(["migrate", "--data-dir", "data"], { cwd });
    expect(second.stdout).toContain("up to date");
    const sqlite = new Database(join(cwd, "data", "coc.db"), { readonly: true });
    expect(sqlite.query("SELECT name FROM sqlite_master WHERE name = 'users'").get()).toEqual({ name: "users" });
    sqlite.close();
  });

  test("a file that is not a database is reported, not overwritten", async () => {
    const cwd = tempDir();
    const file = join(cwd, "notes.txt");
    await Bun.write(file, "my precious notes, not a database ".repeat(100));
    const result = await runCoc(["migrate", "--database", file], { cwd });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: .*not a database/);
    expect(await Bun.file(file).text()).toBe("my precious notes, not a database ".repeat(100));
  });
});

describe("coc serve (a real process)", () => {
  test("listens where told, logs JSON lines, and exits 0 on SIGTERM after a graceful stop", async () => {
    const cwd = tempDir();
    const child = Bun.spawn(["bun", CLI_ENTRY, "serve", "--port", "0", "--host", "127.0.0.1"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd },
      stdout: "pipe",
      stderr: "pipe",
    });
    const log = new LogReader(child.stdout);
    const listening = await log.waitFor((line) => line.msg === "listening");
    expect(listening.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(listening.database).toBe(join(cwd, "data", "coc.db"));

    const health = await fetch(new URL("/healthz", listening.url));
    expect(await health.json()).toMatchObject({ status: "ok", db: "ok" });
    await log.waitFor((line) => line.msg === "request" && line.path === "/healthz");

    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
    const messages = log.lines.map((line) => line.msg);
    expect(messages).toContain("signal received");
    expect(messages.at(-1)).toBe("stopped");
    for (const line of log.lines) expect(typeof line.time).toBe("string");
  });

  test("a second signal while a request is still in flight exits at once", async () => {
    const cwd = tempDir();
    const child = Bun.spawn(["bun", CLI_ENTRY, "serve", "--port", "0", "--host", "127.0.0.1"], {
      cwd,
      env: { PATH: process.env.PATH ?? "", HOME: cwd, COC_JWT_SECRET: "s".repeat(40) },
      stdout: "pipe",
      stderr: "pipe",
    });
    const log = new LogReader(child.stdout);
    const listening = await log.waitFor((line) => line.msg === "listening");
    // An upload that never finishes keeps one request in flight, so the graceful stop waits.
    const { connect } = await import("node:net");
    const upload = connect({ host: "127.0.0.1", port: Number(new URL(listening.url).port) });
    await new Promise<void>((resolve) => upload.once("connect", () => resolve()));
    upload.write("POST /api/auth/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"log\r\n");
    // Once a later request on another connection is answered, the server has taken the upload in.
    expect((await fetch(new URL("/healthz", listening.url))).status).toBe(200);
    child.kill("SIGTERM");
    const stopping = await log.waitFor((line) => line.msg === "shutting down");
    expect(stopping.pending_requests).toBe(1);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(143);
    expect(log.lines.some((line) => line.msg === "second signal: exiting now")).toBe(true);
    expect(log.lines.some((line) => line.msg === "stopped")).toBe(false);
    upload.destroy();
  });

  test("refuses to start on a port another server holds", async () => {
    const holder = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("taken") });
    try {
      const result = await runCoc(["serve", "--port", String(holder.port), "--host", "127.0.0.1"], {
        env: { COC_DATABASE: ":memory:", COC_JWT_SECRET: "x".repeat(40), COC_LOG_LEVEL: "error" },
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: .*(in use|EADDRINUSE)/i);
    } finally {
      holder.stop(true);
    }
  });
});
