/**
 * `bun run bench`: builds dist/coc and runs every benchmark, printing a Markdown table and
 * writing JSON to .bench/results.json so figures can be compared across commits.
 * Benchmarks are never part of `bun test`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startupBench } from "./startup.ts";
import { xpBench } from "./xp.ts";

const root = join(import.meta.dir, "../..");
const build = Bun.spawnSync(["bun", "run", "build"], { cwd: root, stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);

const startup = await startupBench(root);
const xp = xpBench();
const lines = [
  "## Start-up (spawn → first /healthz 200)",
  "",
  "| subject | runs | p50 ms | p90 ms | idle RSS MB |",
  "|---|---|---|---|---|",
  ...startup.figures.map((f) => `| ${f.subject} | ${f.runs} | ${f.p50_ms} | ${f.p90_ms} | ${f.idle_rss_mb} |`),
  "",
  `dist/coc: ${startup.binary_mb} MB`,
  "",
  "## XP writes (in-process, WAL, synchronous=FULL)",
  "",
  "| subject | operations | per second |",
  "|---|---|---|",
  ...xp.figures.map((f) => `| ${f.subject} | ${f.operations} | ${f.per_second} |`),
  "",
  `XpService.add / baseline: ${xp.ratio}`,
];
console.log(lines.join("\n"));
mkdirSync(join(root, ".bench"), { recursive: true });
const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: root }).stdout.toString().trim();
writeFileSync(join(root, ".bench/results.json"), JSON.stringify({ commit, at: new Date().toISOString(), startup, xp }, null, 2));
