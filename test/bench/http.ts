/**
 * HTTP scenarios against the compiled server, each beside its baseline in the same run:
 * - GET /api/profiles/user/ with a valid token (vs baseline A: bare Bun.serve JSON);
 * - POST /api/rewards/check-in/ across distinct users (vs baseline B: bare Bun.serve doing one
 *   bun:sqlite write transaction per request; and vs A).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureWrk, type LoadResult, seedUsers, startBaseline, startCoc, tokenRotationScript, wrk } from "./harness.ts";

export interface HttpBench {
  results: LoadResult[];
  ratios: Record<string, number>;
}

export async function httpBench(root: string, options: { seconds?: number; connections?: number; users?: number } = {}): Promise<HttpBench> {
  ensureWrk();
  const seconds = options.seconds ?? 5;
  const connections = options.connections ?? 64;
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-http-"));
  try {
    // Enough distinct users that every check-in in the run is a first one for its user today.
    const { database, tokensFile } = seedUsers(dir, options.users ?? 60_000);
    const env = { COC_BENCH_TOKENS: tokensFile };
    const results: LoadResult[] = [];

    const json = await startBaseline("json", dir);
    results.push(wrk("baseline A: bare Bun.serve, small JSON", `${json.base}/`, { seconds, connections }));
    await json.stop();

    const write = await startBaseline("sqlite-write", dir);
    results.push(wrk("baseline B: bare Bun.serve, one bun:sqlite write transaction", `${write.base}/`, { seconds, connections }));
    await write.stop();

    const coc = await startCoc(root, database);
    results.push(wrk("GET /api/profiles/user/ (valid token)", `${coc.base}/api/profiles/user/`, { seconds, connections, script: tokenRotationScript("GET", "/api/profiles/user/"), env }));
    results.push(wrk("POST /api/rewards/check-in/ (distinct users)", `${coc.base}/api/rewards/check-in/`, { seconds, connections, script: tokenRotationScript("POST", "/api/rewards/check-in/"), env }));
    await coc.stop();

    const [a, b, profile, checkIn] = results as [LoadResult, LoadResult, LoadResult, LoadResult];
    const ratio = (x: LoadResult, y: LoadResult) => Math.round((x.requests_per_second / y.requests_per_second) * 100) / 100;
    return {
      results,
      ratios: {
        "profile GET / baseline A": ratio(profile, a),
        "check-in / baseline B": ratio(checkIn, b),
        "check-in / baseline A": ratio(checkIn, a),
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await httpBench(join(import.meta.dir, "../..")), null, 2));
