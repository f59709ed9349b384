/**
 * Start-up benchmark: time from spawning a process to its first 200 on /healthz, idle RSS, and
 * the binary's size. Each figure is measured beside a bare Bun.serve process in the same run.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, percentile, rssMb } from "./harness.ts";

export interface StartupFigure {
  subject: string;
  runs: number;
  p50_ms: number;
  p90_ms: number;
  idle_rss_mb: number;
}


/** Spawns `command` `runs` times in an empty folder and times each to its first /healthz 200. */
async function measure(subject: string, command: (port: number) => string[], runs: number, env: Record<string, string> = {}): Promise<StartupFigure> {
  const times: number[] = [];
  let rss = 0;
  for (let i = 0; i < runs; i++) {
    const dir = mkdtempSync(join(tmpdir(), "coc-bench-start-"));
    const port = freePort();
    const started = performance.now();
    const child = Bun.spawn(command(port), { cwd: dir, env: { PATH: process.env.PATH ?? "", HOME: dir, COC_LOG_LEVEL: "warn", ...env }, stdout: "ignore", stderr: "ignore" });
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) break;
      } catch {
        // Not listening yet.
      }
      if (performance.now() - started > 10_000) throw new Error(`${subject} did not answer within 10 s`);
    }
    times.push(performance.now() - started);
    if (i === runs - 1) {
      await Bun.sleep(500); // let it settle before reading its idle RSS (benchmark only)
      rss = rssMb(child.pid);
    }
    child.kill("SIGTERM");
    await child.exited;
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { subject, runs, p50_ms: Math.round(percentile(times, 50) * 10) / 10, p90_ms: Math.round(percentile(times, 90) * 10) / 10, idle_rss_mb: rss };
}

export async function startupBench(root: string, runs = 15) {
  const binary = join(root, "dist/coc");
  const bareDir = mkdtempSync(join(tmpdir(), "coc-bench-bare-"));
  const bare = join(bareDir, "bare.ts");
  writeFileSync(
    bare,
    `Bun.serve({ port: Number(process.argv[2]), hostname: "127.0.0.1", fetch: () => Response.json({ status: "ok" }) });`,
  );
  const figures = [
    await measure("baseline: bare Bun.serve (bun run)", (port) => [process.execPath, bare, String(port)], runs),
    await measure("coc serve from source (bun run)", (port) => [process.execPath, join(root, "cli/main.ts"), "serve", "--port", String(port), "--host", "127.0.0.1"], runs),
    await measure("dist/coc serve (compiled)", (port) => [binary, "serve", "--port", String(port), "--host", "127.0.0.1"], runs),
  ];
  rmSync(bareDir, { recursive: true, force: true });
  return { figures, binary_mb: Math.round((statSync(binary).size / 1024 / 1024) * 10) / 10 };
}
