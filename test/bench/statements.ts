/**
 * The read path's hot SQL statements, each timed with bare `?` parameters and with planner-blind
 * `+?` ones (see src/db/client.ts), on a seeded database, inside one read transaction: CPU µs per
 * call, best of several rounds. With a bare parameter that the planner may look at (in an ordered
 * scan, or as a LIMIT), SQLite recompiles the statement after every new binding.
 */
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seedUsers } from "./harness.ts";

export interface StatementFigure {
  statement: string;
  bare_us: number;
  blind_us: number;
}

/** Each statement as the product writes it (`+?`, `+$name`); the bare form drops the plus. */
const STATEMENTS: { name: string; sql: string; args: (userId: number) => unknown[] }[] = [
  {
    name: "recent check-ins (GET check-in)",
    sql: "SELECT id, user_id, date, timezone, streak_day, cycle_day, xp_earned, freezes_used, created_at FROM check_ins WHERE user_id = +? ORDER BY date DESC LIMIT +?",
    args: (id) => [id, 30],
  },
  {
    name: "XP history, first page",
    sql: "SELECT id, user_id, amount, source, reference, balance_after, actor, note, created_at FROM xp_ledger WHERE user_id = +? ORDER BY id DESC LIMIT +?",
    args: (id) => [id, 21],
  },
  {
    name: "XP history, next page",
    sql: "SELECT id, user_id, amount, source, reference, balance_after, actor, note, created_at FROM xp_ledger WHERE user_id = +? AND id < +? ORDER BY id DESC LIMIT +?",
    args: (id) => [id, Number.MAX_SAFE_INTEGER, 21],
  },
  {
    name: "followers page",
    sql: `SELECT u.id, u.username, u.first_name, p.avatar_url, f.created_at AS followed_at,
            EXISTS (SELECT 1 FROM follows v WHERE v.follower_id = +$viewer AND v.followee_id = u.id) AS viewer_follows
          FROM follows f JOIN users u ON u.id = f.follower_id JOIN profiles p ON p.user_id = u.id
          WHERE f.followee_id = +$user AND u.disabled = 0 AND (f.created_at < +$at OR (f.created_at = +$at AND u.id > +$after))
          ORDER BY f.created_at DESC, u.id LIMIT +$limit`,
    args: (id) => [{ $viewer: id + 1, $user: id, $at: Number.MAX_SAFE_INTEGER, $after: 0, $limit: 21 }],
  },
  {
    name: "users directory page",
    sql: "SELECT id, username FROM users WHERE deleted_at IS NULL AND id < +? ORDER BY id DESC LIMIT +?",
    args: (id) => [id + 100, 21],
  },
];

function cpuMicrosPerCall(calls: number, run: (i: number) => unknown): number {
  for (let i = 0; i < calls; i++) run(i);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 7; round++) {
    const started = process.cpuUsage();
    for (let i = 0; i < calls; i++) run(i);
    const spent = process.cpuUsage(started);
    best = Math.min(best, (spent.user + spent.system) / calls);
  }
  return Math.round(best * 100) / 100;
}

export function statementsBench(users = 5000, calls = 20_000): { figures: StatementFigure[] } {
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-statements-"));
  try {
    const { database, userIds } = seedUsers(dir, users, { historyPerUser: 3 });
    const sqlite = new Database(database, { readonly: true });
    sqlite.run("BEGIN");
    const figures = STATEMENTS.map(({ name, sql, args }) => {
      const blind = sqlite.prepare(sql);
      const bare = sqlite.prepare(sql.replaceAll("+?", "?").replaceAll("+$", "$"));
      const at = (i: number) => args(userIds[i % userIds.length]!) as never[];
      return { statement: name, bare_us: cpuMicrosPerCall(calls, (i) => bare.all(...at(i))), blind_us: cpuMicrosPerCall(calls, (i) => blind.all(...at(i))) };
    });
    sqlite.run("COMMIT");
    sqlite.close();
    return { figures };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
