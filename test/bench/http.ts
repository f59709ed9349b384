/**
 * HTTP scenarios against the compiled server on a seeded database (60,000 users with ledgers and
 * check-in histories and a signed-in session each, 100,000 chat messages, an unpaid order each),
 * each beside its baseline in the same run.
 *
 * Reads (wrk -t2 -c64): GET /healthz beside baseline A (bare Bun.serve, small JSON); the caller's
 * profile and a public profile beside baseline W (bare Bun.serve doing the least work of an
 * authenticated profile read: HS256 check, two primary-key reads, ~15 members of JSON); the
 * check-in state and the XP history.
 * Writes (wrk -t1 -c64, as before): check-in and verify-payment beside baseline B (bare Bun.serve,
 * one bun:sqlite write transaction per request), each on a server of its own, whose writer's batch
 * sizes are reported.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WriterStats } from "../../src/db/writer.ts";
import { ensureWrk, type LoadResult, publicProfileScript, rssMb, seedUsers, startBaseline, startCoc, tokenRotationScript, VERIFY_SCRIPT, wrk } from "./harness.ts";

export interface HttpBench {
  results: LoadResult[];
  ratios: Record<string, number>;
  seeded: { users: number; chat_messages: number; history_per_user: number };
  rss_mb: { idle: number; loaded: number };
  /** The writer's batches during each write scenario. */
  batches: Record<string, WriterStats | null>;
}

export async function httpBench(root: string, options: { seconds?: number; connections?: number; users?: number } = {}): Promise<HttpBench> {
  ensureWrk();
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 64;
  const users = options.users ?? 60_000;
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-http-"));
  try {
    // Enough distinct users that every check-in and every verify in the run is a first one.
    const seeded = { users, chat_messages: 100_000, history_per_user: 3 };
    const { database, tokensFile, ordersFile } = seedUsers(dir, users, { historyPerUser: seeded.history_per_user, chatMessages: seeded.chat_messages, orders: true });
    const env = { COC_BENCH_TOKENS: tokensFile, COC_BENCH_ORDERS: ordersFile! };
    const read = { seconds, connections, threads: 2 };
    const write = { seconds, connections, threads: 1 };
    const results: Record<string, LoadResult> = {};
    const run = (key: string, result: LoadResult) => {
      results[key] = result;
    };

    const json = await startBaseline("json", dir);
    run("a", wrk("baseline A: bare Bun.serve, small JSON", `${json.base}/`, read));
    await json.stop();
    const work = await startBaseline("profile-work", dir, database);
    run("w", wrk("baseline W: bare Bun.serve, HS256 check + 2 primary-key reads + JSON (the least work of a profile read)", `${work.base}/`, { ...read, script: tokenRotationScript("GET", "/"), env }));
    await work.stop();
    const sqliteWrite = await startBaseline("sqlite-write", dir);
    run("b", wrk("baseline B: bare Bun.serve, one bun:sqlite write transaction (WAL, synchronous=FULL)", `${sqliteWrite.base}/`, write));
    await sqliteWrite.stop();

    const coc = await startCoc(root, database);
    await Bun.sleep(500);
    const idle = rssMb(coc.pid);
    run("healthz", wrk("GET /healthz", `${coc.base}/healthz`, read));
    run("profile", wrk("GET /api/profiles/user/ (bearer)", `${coc.base}/api/profiles/user/`, { ...read, script: tokenRotationScript("GET", "/api/profiles/user/"), env }));
    run("public", wrk("GET /api/profiles/{username}/ (public)", `${coc.base}/`, { ...read, script: publicProfileScript(users) }));
    run("status", wrk("GET /api/rewards/check-in/ (bearer)", `${coc.base}/api/rewards/check-in/`, { ...read, script: tokenRotationScript("GET", "/api/rewards/check-in/"), env }));
    run("history", wrk("GET /api/xp/history/ (bearer)", `${coc.base}/api/xp/history/`, { ...read, script: tokenRotationScript("GET", "/api/xp/history/"), env }));
    const loaded = rssMb(coc.pid);
    await coc.stop();
    // Each write scenario on a server of its own: its writer's batches are that scenario's.
    const batches: Record<string, WriterStats | null> = {};
    const writes: [string, string, string, string][] = [
      ["checkIn", "POST /api/rewards/check-in/ (distinct users)", "/api/rewards/check-in/", tokenRotationScript("POST", "/api/rewards/check-in/")],
      ["verify", "POST /api/payments/verify-payment/ (valid signatures, first credit)", "/api/payments/verify-payment/", VERIFY_SCRIPT],
    ];
    for (const [key, subject, path, script] of writes) {
      const server = await startCoc(root, database);
      run(key, wrk(subject, `${server.base}${path}`, { ...write, script, env }));
      batches[subject] = await server.stop();
    }

    const r = results as Record<"a" | "w" | "b" | "healthz" | "profile" | "public" | "status" | "history" | "checkIn" | "verify", LoadResult>;
    const ratio = (x: LoadResult, y: LoadResult) => Math.round((x.requests_per_second / y.requests_per_second) * 100) / 100;
    return {
      results: Object.values(results),
      ratios: {
        "GET /healthz / baseline A (target ≥ 0.8)": ratio(r.healthz, r.a),
        "GET /api/profiles/user/ / baseline W (target ≥ 0.6)": ratio(r.profile, r.w),
        "GET /api/profiles/{username}/ / baseline W (target ≥ 0.6)": ratio(r.public, r.w),
        "check-in / baseline B": ratio(r.checkIn, r.b),
        "verify-payment / baseline B": ratio(r.verify, r.b),
      },
      seeded,
      rss_mb: { idle, loaded },
      batches,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await httpBench(join(import.meta.dir, "../..")), null, 2));
