/**
 * Hostile bodies beside normal traffic: /healthz driven by wrk while another process keeps 8
 * connections busy posting 200 KB bodies nested 100,000 deep to a route with a body schema. Shows
 * that such bodies are refused fast (400 `too_deeply_nested`) and that the server stays responsive
 * and its memory flat. The same /healthz load without the flood is the baseline.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureWrk, type LoadResult, rssMb, startCoc, wrk } from "./harness.ts";

export interface AbuseBench {
  healthz: LoadResult[];
  flood: { bodies: number; body_kb: number; statuses: Record<string, number>; p50_ms: number; p99_ms: number; max_ms: number };
  rss_mb: { before: number; after: number };
}

const FLOOD = `
const [base, seconds, connections] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const body = "[".repeat(100_000) + "]".repeat(100_000);
const until = performance.now() + seconds * 1000;
const times = [];
const statuses = {};
await Promise.all(Array.from({ length: connections }, async () => {
  while (performance.now() < until) {
    const started = performance.now();
    const answer = await fetch(base + "/api/auth/login/", { method: "POST", headers: { "content-type": "application/json" }, body });
    await answer.arrayBuffer();
    times.push(performance.now() - started);
    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
  }
}));
times.sort((a, b) => a - b);
const at = (p) => Math.round(times[Math.min(times.length - 1, Math.floor(p * times.length))] * 100) / 100;
console.log(JSON.stringify({ bodies: times.length, body_kb: Math.round(body.length / 1024), statuses, p50_ms: at(0.5), p99_ms: at(0.99), max_ms: Math.round(times.at(-1) * 100) / 100 }));
`;

export async function abuseBench(root: string, options: { seconds?: number } = {}): Promise<AbuseBench> {
  ensureWrk();
  const seconds = options.seconds ?? 5;
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-abuse-"));
  try {
    const script = join(dir, "flood.ts");
    writeFileSync(script, FLOOD);
    const coc = await startCoc(root, join(dir, "coc.db"));
    const before = rssMb(coc.pid);
    const healthz: LoadResult[] = [wrk("GET /healthz, quiet", `${coc.base}/healthz`, { seconds, connections: 16 })];
    const flood = Bun.spawn([process.execPath, script, coc.base, String(seconds), "8"], { stdout: "pipe", stderr: "inherit" });
    healthz.push(wrk("GET /healthz while nested bodies arrive", `${coc.base}/healthz`, { seconds, connections: 16 }));
    const floodResult = JSON.parse(await new Response(flood.stdout).text()) as AbuseBench["flood"];
    const after = rssMb(coc.pid);
    await coc.stop();
    return { healthz, flood: floodResult, rss_mb: { before, after } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await abuseBench(join(import.meta.dir, "../..")), null, 2));
