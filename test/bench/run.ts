/**
 * `bun run bench`: builds dist/coc and runs every benchmark, each beside its baseline in the same
 * run; prints Markdown and writes .bench/results.json (with the commit) for comparison across
 * commits. Never part of `bun test`. `bun run bench startup xp` runs only the named ones.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { abuseBench } from "./abuse.ts";
import { chatBench } from "./chat.ts";
import { cliBench } from "./cli.ts";
import { httpBench } from "./http.ts";
import { postgresBench } from "./postgres.ts";
import { startupBench } from "./startup.ts";
import { statementsBench } from "./statements.ts";
import { xpBench } from "./xp.ts";

const root = join(import.meta.dir, "../..");
const only = new Set(process.argv.slice(2));
const wanted = (name: string) => only.size === 0 || only.has(name);

const build = Bun.spawnSync(["bun", "run", "build"], { cwd: root, stdout: "inherit", stderr: "inherit" });
if (build.exitCode !== 0) process.exit(build.exitCode ?? 1);

const results: Record<string, unknown> = {};
const lines: string[] = [];
const table = (headers: string[], rows: (string | number)[][]) => [
  `| ${headers.join(" | ")} |`,
  `|${headers.map(() => "---").join("|")}|`,
  ...rows.map((row) => `| ${row.join(" | ")} |`),
];

if (wanted("startup")) {
  const startup = await startupBench(root);
  results.startup = startup;
  lines.push("## Start-up (spawn → first /healthz 200)", "", ...table(["subject", "runs", "p50 ms", "p90 ms", "idle RSS MB"], startup.figures.map((f) => [f.subject, f.runs, f.p50_ms, f.p90_ms, f.idle_rss_mb])), "", `dist/coc: ${startup.binary_mb} MB`, "");
}
if (wanted("xp")) {
  const xp = await xpBench();
  results.xp = xp;
  lines.push(
    "## XP writes (in-process, WAL, synchronous=FULL)",
    "",
    ...table(["subject", "operations", "per second"], xp.figures.map((f) => [f.subject, f.operations, f.per_second])),
    "",
    `XpService.add, 64 at once / baseline: ${xp.ratio}; one at a time / baseline: ${xp.ratio_one_at_a_time}`,
    "",
  );
}
if (wanted("statements")) {
  const statements = statementsBench();
  results.statements = statements;
  lines.push(
    "## Hot SQL statements (CPU µs per call in one read transaction; bare `?` parameters against planner-blind `+?`)",
    "",
    ...table(["statement", "bare ?", "+?"], statements.figures.map((f) => [f.statement, f.bare_us, f.blind_us])),
    "",
  );
}
if (wanted("http")) {
  const http = await httpBench(root);
  results.http = http;
  lines.push(
    `## HTTP (64 connections, 5 s; reads with wrk -t2, writes with wrk -t1; the load generator on the same 2 cores; ${http.seeded.users} users seeded with ${http.seeded.history_per_user} days of history each, ${http.seeded.chat_messages} chat messages)`,
    "",
    ...table(["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx"], http.results.map((r) => [r.subject, r.requests_per_second, r.p50_ms, r.p99_ms, r.non_2xx])),
    "",
    ...Object.entries(http.ratios).map(([k, v]) => `- ${k}: ${v}`),
    `- server RSS: ${http.rss_mb.idle} MB idle on the seeded database, ${http.rss_mb.loaded} MB after the reads`,
    "",
    "Writer batches during each write scenario (units per commit):",
    "",
    ...table(
      ["scenario", "batches", "units", "mean", "largest", "sizes 1 / 2-3 / 4-7 / 8-15 / 16-31 / 32-63 / 64+"],
      Object.entries(http.batches).map(([subject, b]) =>
        b ? [subject, b.batches, b.units, Math.round((b.units / Math.max(1, b.batches)) * 10) / 10, b.largestBatch, Object.values(b.sizes).join(" / ")] : [subject, "-", "-", "-", "-", "-"],
      ),
    ),
    "",
  );
}
if (wanted("postgres")) {
  const pg = await postgresBench(root);
  results.postgres = pg;
  lines.push(
    `## HTTP on PostgreSQL (a durable local Postgres 15: fsync and synchronous_commit on; the ${pg.seeded.users} seeded users copied over in ${pg.seeded.copy_seconds} s; 64 connections, 5 s; wrk, coc and Postgres on the same 2 cores)`,
    "",
    ...table(["scenario", "req/s", "p50 ms", "p99 ms", "non-2xx"], pg.results.map((r) => [r.subject, r.requests_per_second, r.p50_ms, r.p99_ms, r.non_2xx])),
    "",
    ...Object.entries(pg.ratios).map(([k, v]) => `- ${k}: ${v}`),
    `- units of work (a transaction each on Postgres): ${Object.entries(pg.units).map(([k, v]) => `${k} ${v ? `${v.units} (${v.failedUnits} failed)` : "-"}`).join("; ")}`,
    "",
  );
}
if (wanted("abuse")) {
  const abuse = await abuseBench(root);
  results.abuse = abuse;
  const f = abuse.flood;
  lines.push(
    "## Hostile bodies (8 connections posting JSON nested 100,000 deep, beside wrk -c16 on /healthz)",
    "",
    ...table(["subject", "req/s", "p50 ms", "p99 ms", "non-2xx"], abuse.healthz.map((r) => [r.subject, r.requests_per_second, r.p50_ms, r.p99_ms, r.non_2xx])),
    "",
    `- nested bodies: ${f.bodies} of ${f.body_kb} KB answered (${Object.entries(f.statuses).map(([status, n]) => `${n} × ${status}`).join(", ")}), p50 ${f.p50_ms} ms, p99 ${f.p99_ms} ms, max ${f.max_ms} ms`,
    `- server RSS: ${abuse.rss_mb.before} MB before, ${abuse.rss_mb.after} MB after`,
    "",
  );
}
if (wanted("chat")) {
  const chat = await chatBench(root);
  results.chat = chat;
  lines.push("## Chat fan-out (1,000 clients, 100 msg/s for 5 s)", "", ...table(["subject", "delivered / expected", "deliveries/s", "p50 ms", "p99 ms", "max ms"], chat.map((r) => [r.subject, `${r.deliveries} / ${r.expected_deliveries}`, r.deliveries_per_second, r.p50_ms, r.p99_ms, r.max_ms])), "");
}

if (wanted("cli")) {
  const cli = cliBench(root);
  results.cli = cli;
  lines.push(`## CLI over ${cli.users} users (whole process, 10 runs)`, "", ...table(["command", "p50 ms", "p90 ms"], cli.figures.map((f) => [f.subject, f.p50_ms, f.p90_ms])), "");
}

console.log(lines.join("\n"));
mkdirSync(join(root, ".bench"), { recursive: true });
const commit = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: root }).stdout.toString().trim();
writeFileSync(join(root, ".bench/results.json"), JSON.stringify({ commit, at: new Date().toISOString(), ...results }, null, 2));
writeFileSync(join(root, ".bench/results.md"), `${lines.join("\n")}\n`);
// The throwaway servers some benches start (Postgres, Redis) are tied to this process: end it.
process.exit(0);
