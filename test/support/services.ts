import { type Subprocess, spawnSync } from "bun";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Throwaway servers the tests need (Redis here; PostgreSQL too), started by the project itself from
 * Debian's packages (.ci/run installs them when missing) in a temp folder on a free port, once per
 * test process, and stopped when it exits. Never a mock: the product talks to the real thing.
 */

function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() });
  const port = probe.port;
  probe.stop(true);
  return port!;
}

/**
 * Runs `command` under a watchdog that stops it (and removes `dir`) once this test process is gone,
 * however it ended (an exit handler does not run when the runner is killed).
 */
function spawnTied(command: string[], dir: string): Subprocess {
  const quoted = command.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
  const script = `${quoted} & child=$!; while kill -0 ${process.pid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; kill $child 2>/dev/null; wait $child; rm -rf '${dir}'`;
  return Bun.spawn(["sh", "-c", script], { stdout: "ignore", stderr: "ignore" });
}

async function waitUntil(ready: () => Promise<boolean> | boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await Bun.sleep(25);
  }
  throw new Error(`${what} did not start within ${timeoutMs} ms`);
}

/** Whether a program is on the PATH. */
export function installed(program: string): boolean {
  return spawnSync(["sh", "-c", `command -v ${program}`]).exitCode === 0;
}

let redis: Promise<string> | undefined;

/** The URL of a throwaway redis-server (no persistence) for this test process. */
export function testRedisUrl(): Promise<string> {
  redis ??= (async () => {
    if (!installed("redis-server")) throw new Error("redis-server is not installed: .ci/run installs it (apt-get install redis-server)");
    const dir = mkdtempSync(join(tmpdir(), "coc-redis-"));
    const port = freePort();
    spawnTied(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], dir);
    const url = `redis://127.0.0.1:${port}`;
    await waitUntil(async () => {
      const client = new Bun.RedisClient(url, { autoReconnect: false });
      try {
        return (await client.send("PING", [])) === "PONG";
      } catch {
        return false;
      } finally {
        client.close();
      }
    }, "redis-server");
    return url;
  })();
  return redis;
}

/** A key prefix no other test shares, so tests on one Redis never see each other's keys. */
export function freshPrefix(): string {
  return `coc-test-${crypto.randomUUID().slice(0, 8)}:`;
}
