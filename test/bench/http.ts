/**
 * HTTP scenarios against the compiled server on a seeded database (60,000 users with ledgers and
 * check-in histories, 100,000 chat messages, an unpaid order each), each beside its baseline in
 * the same run:
 * - GET /api/profiles/user/ with a valid token (vs baseline A: bare Bun.serve JSON);
 * - POST /api/rewards/check-in/ across distinct users (vs baseline B: bare Bun.serve doing one
 *   bun:sqlite write transaction per request);
 * - POST /api/payments/verify-payment/ with valid signatures (vs B).
 * Also the server's RSS idle and after the load.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureWrk, type LoadResult, rssMb, seedUsers, startBaseline, startCoc, tokenRotationScript, VERIFY_SCRIPT, wrk } from "./harness.ts";

export interface HttpBench {
  results: LoadResult[];
  ratios: Record<string, number>;
  seeded: { users: number; chat_messages: number; history_per_user: number };
  rss_mb: { idle: number; loaded: number };
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
    const results: LoadResult[] = [];

    const json = await startBaseline("json", dir);
    results.push(wrk("baseline A: bare Bun.serve, small JSON", `${json.base}/`, { seconds, connections }));
    await json.stop();

    const write = await startBaseline("sqlite-write", dir);
    results.push(wrk("baseline B: bare Bun.serve, one bun:sqlite write transaction (WAL, synchronous=FULL)", `${write.base}/`, { seconds, connections }));
    await write.stop();

    const coc = await startCoc(root, database);
    await Bun.sleep(500);
    const idle = rssMb(coc.pid);
    results.push(wrk("GET /api/profiles/user/ (valid token)", `${coc.base}/api/profiles/user/`, { seconds, connections, script: tokenRotationScript("GET", "/api/profiles/user/"), env }));
    results.push(wrk("POST /api/rewards/check-in/ (distinct users)", `${coc.base}/api/rewards/check-in/`, { seconds, connections, script: tokenRotationScript("POST", "/api/rewards/check-in/"), env }));
    results.push(wrk("POST /api/payments/verify-payment/ (valid signatures, first credit)", `${coc.base}/api/payments/verify-payment/`, { seconds, connections, script: VERIFY_SCRIPT, env }));
    const loaded = rssMb(coc.pid);
    await coc.stop();

    const [a, b, profile, checkIn, verify] = results as [LoadResult, LoadResult, LoadResult, LoadResult, LoadResult];
    const ratio = (x: LoadResult, y: LoadResult) => Math.round((x.requests_per_second / y.requests_per_second) * 100) / 100;
    return {
      results,
      ratios: {
        "profile GET / baseline A": ratio(profile, a),
        "check-in / baseline B": ratio(checkIn, b),
        "verify-payment / baseline B": ratio(verify, b),
        "check-in / baseline A": ratio(checkIn, a),
      },
      seeded,
      rss_mb: { idle, loaded },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await httpBench(join(import.meta.dir, "../..")), null, 2));
