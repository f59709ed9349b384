import { spawnSync } from "bun";
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
 * however it ended (an exit handler does not run when the runner is killed). The watchdog is
 * detached (started in the background of a shell that exits at once): bun test kills the child
 * processes a test leaves running, and a killed watchdog would leave its server behind. Postgres
 * outlives the `runuser` it was started by for a moment: the folder goes once its pid file has.
 */
function spawnTied(command: string[], dir: string): void {
  const quoted = command.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");
  const watchdog = `${quoted} & child=$!; while kill -0 ${process.pid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 0.5; done; kill $child 2>/dev/null; wait $child; for i in $(seq 50); do [ -e '${dir}/data/postmaster.pid' ] || break; sleep 0.2; done; rm -rf '${dir}'`;
  spawnSync(["sh", "-c", `(${watchdog}) </dev/null >/dev/null 2>&1 &`]);
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

/** The folder of PostgreSQL's programs (Debian keeps them out of the PATH), the newest version first. */
function postgresBin(): string {
  const listed = spawnSync(["sh", "-c", "ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1"]).stdout.toString().trim();
  if (listed) return listed;
  const configured = spawnSync(["sh", "-c", "pg_config --bindir 2>/dev/null"]).stdout.toString().trim();
  if (configured) return configured;
  throw new Error("PostgreSQL is not installed: .ci/run installs it (apt-get install postgresql-15)");
}

/** initdb and postgres refuse to run as root: as root, they run as the `postgres` account Debian's package creates. */
function asServerUser(command: string[]): string[] {
  return process.getuid?.() === 0 ? ["runuser", "-u", "postgres", "--", ...command] : command;
}

/** Where the template database of a test process lives: migrated once, copied per test. */
export const TEMPLATE_DATABASE = "coc_template";

interface TestPostgres {
  /** The server's URL without a database name. */
  base: string;
  /** An administrative connection (database `postgres`). */
  admin: import("bun").SQL;
}

let postgres: Promise<TestPostgres> | undefined;

/**
 * A throwaway PostgreSQL server for this test process: initdb in a temp folder, started on a free
 * port with durability off (a test never survives its server's crash), trust authentication on
 * 127.0.0.1 only, and a template database migrated once with the product's own migrations.
 */
export function testPostgres(): Promise<TestPostgres> {
  postgres ??= (async () => {
    const server = await startPostgres({ durable: false });
    const { base, admin } = server;
    await admin.unsafe(`CREATE DATABASE ${TEMPLATE_DATABASE}`);
    const { migratePostgres } = await import("../../src/db/postgres.ts");
    const template = new Bun.SQL({ url: `${base}/${TEMPLATE_DATABASE}`, max: 1 });
    await migratePostgres(template);
    await template.close();
    return server;
  })();
  return postgres;
}

/**
 * Starts a PostgreSQL server of its own in a temp folder on a free port (stopped, and the folder
 * removed, when this process is gone): trust authentication on 127.0.0.1 only. `durable: false`
 * (tests) turns fsync off; benchmarks keep Postgres's defaults (fsync, synchronous_commit on).
 */
export async function startPostgres(options: { durable: boolean }): Promise<TestPostgres> {
  const bin = postgresBin();
  const dir = mkdtempSync(join(tmpdir(), "coc-pg-"));
  const data = join(dir, "data");
  if (process.getuid?.() === 0) spawnSync(["chown", "postgres:postgres", dir]);
  const init = spawnSync(asServerUser([join(bin, "initdb"), "-D", data, "-U", "coc", "-A", "trust", "-E", "UTF8", "--no-sync", "--locale=C.UTF-8"]));
  if (init.exitCode !== 0) throw new Error(`initdb failed: ${init.stderr.toString()}`);
  const port = freePort();
  spawnTied(
    asServerUser([
      join(bin, "postgres"),
      "-D", data,
      "-p", String(port),
      "-k", dir,
      "-c", "listen_addresses=127.0.0.1",
      ...(options.durable ? [] : ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]),
      "-c", "max_connections=500",
      "-c", "shared_buffers=256MB",
    ]),
    dir,
  );
  const base = `postgres://coc@127.0.0.1:${port}`;
  const admin = new Bun.SQL({ url: `${base}/postgres`, max: 4 });
  await waitUntil(async () => {
    try {
      await admin.unsafe("SELECT 1");
      return true;
    } catch {
      return false;
    }
  }, "postgres");
  return { base, admin };
}

let databases = 0;
/** Databases emptied by a test that is over, ready for the next one (creating one costs far more). */
const spare: string[] = [];

/** An empty migrated database: one a finished test emptied, or a new copy of the template; its URL. */
export async function freshPostgresDatabase(): Promise<string> {
  const reused = spare.pop();
  if (reused) return reused;
  const { base, admin } = await testPostgres();
  const name = `coc_test_${process.pid}_${++databases}`;
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`);
  return `${base}/${name}`;
}

/**
 * Empties a test's database through its own (still open) pool, identities restarted, and offers it
 * to the next test. Only for a database no other context uses.
 */
export async function recyclePostgresDatabase(url: string, sql: import("bun").SQL): Promise<void> {
  const tables = (await sql.unsafe("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) as { tablename: string }[];
  await sql.unsafe(`TRUNCATE ${tables.map((row) => `"${row.tablename}"`).join(", ")} RESTART IDENTITY CASCADE`);
  spare.push(url);
}

/** The engine the suite runs on: COC_TEST_ENGINE=postgres runs it on PostgreSQL + Redis. */
export const testEngine: "sqlite" | "postgres" = process.env.COC_TEST_ENGINE === "postgres" ? "postgres" : "sqlite";
