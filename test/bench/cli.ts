/**
 * The admin CLI on a large database: `coc list-users --limit 50 --sort xp` over 100,000 users,
 * whole process (start, open, query, print) timed over repeated runs, beside the same query run
 * by a bare `bun` script on the same file (the floor: runtime start + SQLite).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { percentile, seedUsers } from "./harness.ts";

export interface CliFigure {
  subject: string;
  runs: number;
  p50_ms: number;
  p90_ms: number;
}

function timeRuns(subject: string, command: string[], runs: number, env: Record<string, string>): CliFigure {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const run = Bun.spawnSync(command, { env, stdout: "pipe", stderr: "pipe" });
    if (run.exitCode !== 0) throw new Error(`${command.join(" ")} failed: ${run.stderr.toString()}`);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const at = (p: number) => Math.round(percentile(times, p) * 10) / 10;
  return { subject, runs, p50_ms: at(50), p90_ms: at(90) };
}

export function cliBench(root: string, users = 100_000, runs = 10): { users: number; figures: CliFigure[] } {
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-cli-"));
  try {
    const { database } = seedUsers(dir, users);
    const env = { PATH: process.env.PATH ?? "", COC_DATABASE: database, COC_DATA_DIR: dir, COC_LOG_LEVEL: "warn" };
    const bare = join(dir, "bare.ts");
    writeFileSync(
      bare,
      `import { Database } from "bun:sqlite";
const db = new Database(${JSON.stringify(database)}, { readonly: true });
const rows = db.query("SELECT u.id, u.username, u.email, u.role, u.disabled, p.xp, p.current_streak, p.longest_streak, u.created_at FROM profiles p JOIN users u ON u.id = p.user_id ORDER BY p.xp DESC, p.user_id LIMIT 50").all();
console.log(JSON.stringify(rows));`,
    );
    // One run first so the file is in the page cache for both.
    Bun.spawnSync([join(root, "dist/coc"), "list-users", "--limit", "50", "--sort", "xp"], { env });
    return {
      users,
      figures: [
        timeRuns("baseline: bare bun script, same query", [process.execPath, bare], runs, env),
        timeRuns("dist/coc list-users --limit 50 --sort xp", [join(root, "dist/coc"), "list-users", "--limit", "50", "--sort", "xp"], runs, env),
        timeRuns("dist/coc list-users --limit 50 --sort xp --json", [join(root, "dist/coc"), "list-users", "--limit", "50", "--sort", "xp", "--json"], runs, env),
      ],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(cliBench(join(import.meta.dir, "../..")), null, 2));
