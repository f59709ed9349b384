/**
 * The HTTP scenarios with coc on PostgreSQL (a durable server of its own: fsync and
 * synchronous_commit on, as Postgres ships), beside bare-Bun baselines doing the same essential
 * work on the same Postgres, and two instances (with Redis) on that one database. The data is the
 * SQLite seed of the HTTP benchmark, copied over.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migratePostgres } from "../../src/db/postgres.ts";
import type { WriterStats } from "../../src/db/writer.ts";
import { startPostgres, testRedisUrl } from "../support/services.ts";
import { ensureWrk, type LoadResult, publicProfileScript, seedUsers, startBaseline, startCoc, tokenRotationScript, VERIFY_SCRIPT, wrk, wrkAsync } from "./harness.ts";

export interface PostgresBench {
  results: LoadResult[];
  ratios: Record<string, number>;
  seeded: { users: number; copy_seconds: number };
  units: Record<string, WriterStats | null>;
}

/** Copies every table of the seeded SQLite file into a migrated Postgres database, then moves the identity sequences past the copied ids. */
async function copyInto(sqlitePath: string, url: string): Promise<void> {
  const sqlite = new Database(sqlitePath, { readonly: true });
  const sql = new Bun.SQL({ url, max: 1 });
  try {
    await migratePostgres(sql);
    const tables = sqlite
      .query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'")
      .all()
      .map((row) => row.name);
    await sql.begin(async (tx) => {
      // The copy is whole: foreign keys are not checked row by row while it loads (the bench's own superuser).
      await tx.unsafe("SET LOCAL session_replication_role = replica");
      for (const table of tables) {
        const rows = sqlite.query(`SELECT * FROM "${table}"`).all() as Record<string, unknown>[];
        for (let i = 0; i < rows.length; i += 2000) {
          const chunk = rows.slice(i, i + 2000);
          await tx`INSERT INTO ${tx(table)} ${tx(chunk)}`;
        }
      }
      const identities = (await tx.unsafe(
        "SELECT table_name, pg_get_serial_sequence(quote_ident(table_name), column_name) AS seq FROM information_schema.columns WHERE table_schema = 'public' AND column_name = 'id' AND is_identity = 'YES'",
      )) as { table_name: string; seq: string }[];
      for (const { table_name: table, seq } of identities) {
        await tx.unsafe(`SELECT setval('${seq}', coalesce((SELECT max(id) FROM "${table}"), 0) + 1, false)`);
      }
    });
    await sql.unsafe("ANALYZE");
  } finally {
    sqlite.close();
    await sql.close();
  }
}

/** The lines `from`..`to` of a token file, as a file of their own (distinct users per scenario). */
function slice(file: string, from: number, to: number, dir: string, name: string): string {
  const lines = readFileSync(file, "utf8").split("\n").filter(Boolean).slice(from, to);
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

export async function postgresBench(root: string, options: { seconds?: number; connections?: number; users?: number } = {}): Promise<PostgresBench> {
  ensureWrk();
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 64;
  const users = options.users ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-pg-"));
  try {
    const { database, tokensFile, ordersFile } = seedUsers(dir, users, { historyPerUser: 3, chatMessages: 100_000, orders: true });
    const server = await startPostgres({ durable: true });
    await server.admin.unsafe("CREATE DATABASE coc_bench");
    await server.admin.unsafe("CREATE DATABASE coc_baseline");
    const url = `${server.base}/coc_bench`;
    const copyStarted = performance.now();
    await copyInto(database, url);
    const copySeconds = Math.round((performance.now() - copyStarted) / 100) / 10;

    const third = Math.floor(users / 3);
    const checkInSingle = slice(tokensFile, 0, third, dir, "tokens-single.txt");
    const checkInA = slice(tokensFile, third, 2 * third, dir, "tokens-a.txt");
    const checkInB = slice(tokensFile, 2 * third, users, dir, "tokens-b.txt");
    const env = { COC_BENCH_TOKENS: tokensFile, COC_BENCH_ORDERS: ordersFile! };
    const read = { seconds, connections, threads: 2 };
    const write = { seconds, connections, threads: 1 };
    const results: Record<string, LoadResult> = {};
    const units: Record<string, WriterStats | null> = {};

    const work = await startBaseline("pg-profile-work", dir, url);
    results.w = wrk("baseline W (Postgres): bare Bun.serve, HS256 check + 2 primary-key reads through Bun.SQL + JSON", `${work.base}/`, { ...read, script: tokenRotationScript("GET", "/"), env });
    await work.stop();
    const pgWrite = await startBaseline("pg-write", dir, `${server.base}/coc_baseline`);
    results.b = wrk("baseline B (Postgres): bare Bun.serve, one write transaction per request (fsync on)", `${pgWrite.base}/`, write);
    await pgWrite.stop();

    const pgEnv = { COC_DATABASE_URL: url };
    const coc = await startCoc(root, database, pgEnv);
    results.profile = wrk("GET /api/profiles/user/ (bearer), Postgres", `${coc.base}/api/profiles/user/`, { ...read, script: tokenRotationScript("GET", "/api/profiles/user/"), env });
    results.public = wrk("GET /api/profiles/{username}/ (public), Postgres", `${coc.base}/`, { ...read, script: publicProfileScript(users) });
    results.status = wrk("GET /api/rewards/check-in/ (bearer), Postgres", `${coc.base}/api/rewards/check-in/`, { ...read, script: tokenRotationScript("GET", "/api/rewards/check-in/"), env });
    results.history = wrk("GET /api/xp/history/ (bearer), Postgres", `${coc.base}/api/xp/history/`, { ...read, script: tokenRotationScript("GET", "/api/xp/history/"), env });
    await coc.stop();
    const checkIn = await startCoc(root, database, pgEnv);
    results.checkIn = wrk("POST /api/rewards/check-in/ (distinct users), Postgres", `${checkIn.base}/api/rewards/check-in/`, { ...write, script: tokenRotationScript("POST", "/api/rewards/check-in/"), env: { ...env, COC_BENCH_TOKENS: checkInSingle } });
    units["check-in, one instance"] = await checkIn.stop();
    const verify = await startCoc(root, database, pgEnv);
    results.verify = wrk("POST /api/payments/verify-payment/ (first credit), Postgres", `${verify.base}/api/payments/verify-payment/`, { ...write, script: VERIFY_SCRIPT, env });
    units["verify-payment, one instance"] = await verify.stop();

    // Two instances on the one database, sharing Redis; half the connections on each, loaded at once.
    const shared = { ...pgEnv, COC_REDIS_URL: await testRedisUrl(), COC_REDIS_PREFIX: "bench:" };
    const pair = [await startCoc(root, database, shared), await startCoc(root, database, shared)];
    const half = Math.floor(connections / 2);
    const both = async (key: string, subject: string, run: (base: string, i: number) => Promise<LoadResult>) => {
      const [a, b] = await Promise.all(pair.map((instance, i) => run(instance.base, i)));
      results[key] = {
        subject,
        requests_per_second: a!.requests_per_second + b!.requests_per_second,
        p50_ms: Math.max(a!.p50_ms, b!.p50_ms),
        p99_ms: Math.max(a!.p99_ms, b!.p99_ms),
        non_2xx: a!.non_2xx + b!.non_2xx,
        requests: a!.requests + b!.requests,
      };
    };
    await both("profile2", "GET /api/profiles/user/, two instances (sum; worst p50/p99)", (base) =>
      wrkAsync("", `${base}/api/profiles/user/`, { seconds, connections: half, threads: 1, script: tokenRotationScript("GET", "/api/profiles/user/"), env }),
    );
    await both("checkIn2", "POST /api/rewards/check-in/, two instances (sum; worst p50/p99)", (base, i) =>
      wrkAsync("", `${base}/api/rewards/check-in/`, { seconds, connections: half, threads: 1, script: tokenRotationScript("POST", "/api/rewards/check-in/"), env: { ...env, COC_BENCH_TOKENS: i === 0 ? checkInA : checkInB } }),
    );
    units["two instances (both scenarios), first"] = await pair[0]!.stop();
    units["two instances (both scenarios), second"] = await pair[1]!.stop();

    const r = results as Record<string, LoadResult>;
    const ratio = (x: LoadResult, y: LoadResult) => Math.round((x.requests_per_second / y.requests_per_second) * 100) / 100;
    return {
      results: Object.values(results),
      ratios: {
        "GET /api/profiles/user/ / baseline W (Postgres)": ratio(r.profile!, r.w!),
        "GET /api/profiles/{username}/ / baseline W (Postgres)": ratio(r.public!, r.w!),
        "check-in / baseline B (Postgres)": ratio(r.checkIn!, r.b!),
        "verify-payment / baseline B (Postgres)": ratio(r.verify!, r.b!),
        "profile read, two instances / one": ratio(r.profile2!, r.profile!),
        "check-in, two instances / one": ratio(r.checkIn2!, r.checkIn!),
      },
      seeded: { users, copy_seconds: copySeconds },
      units,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  console.log(JSON.stringify(await postgresBench(join(import.meta.dir, "../.."), { users: Number(process.env.BENCH_USERS ?? 60_000) }), null, 2));
  process.exit(0);
}
