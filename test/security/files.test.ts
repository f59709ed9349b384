import { describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CLI_ENTRY, LogReader } from "../support/cli.ts";
import { TEST_JWT_SECRET } from "../support/test-context.ts";

const mode = (path: string) => statSync(path).mode & 0o777;

/** Runs `coc` with umask 000, as a careless service manager might start it. */
function cocWithOpenUmask(args: string[], env: Record<string, string>, cwd: string) {
  const command = ["umask 000", `exec bun ${JSON.stringify(CLI_ENTRY)} ${args.map((arg) => JSON.stringify(arg)).join(" ")}`].join("; ");
  return Bun.spawn(["bash", "-c", command], { cwd, env: { PATH: process.env.PATH ?? "", HOME: cwd, COC_JWT_SECRET: TEST_JWT_SECRET, ...env }, stdout: "pipe", stderr: "pipe" });
}

describe("files with secrets in them", () => {
  test("the database, its WAL and shared-memory files, and backups are 0600 whatever the folder's mode and the umask", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coc-files-"));
    chmodSync(dir, 0o777);
    const database = join(dir, "coc.db");
    const server = cocWithOpenUmask(["serve", "--port", "0", "--host", "127.0.0.1", "--database", database], {}, dir);
    try {
      const { url } = await new LogReader(server.stdout).waitFor((line) => line.msg === "listening");
      const registered = await fetch(new URL("/api/auth/register/", url), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ username: "ada", email: "ada@example.com", password: "correct horse battery" }),
      });
      expect(registered.status).toBe(201);
      for (const file of [database, `${database}-wal`, `${database}-shm`]) {
        expect(existsSync(file)).toBe(true);
        expect([file, mode(file)]).toEqual([file, 0o600]);
      }
      const backup = cocWithOpenUmask(["backup", join(dir, "copy.db"), "--database", database], {}, dir);
      expect(await backup.exited).toBe(0);
      expect(mode(join(dir, "copy.db"))).toBe(0o600);
    } finally {
      server.kill("SIGTERM");
      await server.exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a database file left readable by others is tightened when opened", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coc-files-"));
    const database = join(dir, "coc.db");
    try {
      const first = cocWithOpenUmask(["migrate", "--database", database], {}, dir);
      expect(await first.exited).toBe(0);
      chmodSync(database, 0o644);
      const again = cocWithOpenUmask(["migrate", "--database", database], {}, dir);
      expect(await again.exited).toBe(0);
      expect(mode(database)).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
