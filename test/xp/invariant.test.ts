import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ROOT } from "../support/cli.ts";
import { createTestContext, query } from "../support/test-context.ts";
import { type MixTally, runMix } from "../support/xp-mix.ts";

describe("the XP invariant", () => {
  test("after a random mix from two processes on one file, every balance is the sum of its ledger and its last balance_after", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coc-xp-invariant-"));
    const database = join(dir, "coc.db");
    try {
      const { ctx } = await createTestContext({ env: { COC_DATABASE: database } });
      const userIds: number[] = [];
      for (const username of ["ada", "grace", "linus", "barbara", "ken"]) userIds.push((await ctx.services.users.create({ username })).id);

      const child = Bun.spawn(["bun", join(ROOT, "test/support/xp-mix.ts"), ctx.config.databaseUrl ?? database, "2", "1500", userIds.join(",")], {
        stdin: "pipe",
        stdout: "pipe",
        stderr: "pipe",
      });
      const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let output = "";
      while (!output.includes("ready\n")) {
        const { value, done } = await lines.read();
        if (done) throw new Error(`the second process died: ${await new Response(child.stderr).text()}`);
        output += value;
      }
      child.stdin.write("go\n");
      child.stdin.end();
      const mine = await runMix(ctx.services.xp, 1, 1500, userIds);
      while (!/\{.*\}\n/.test(output)) {
        const { value, done } = await lines.read();
        if (done) break;
        output += value;
      }
      expect(await child.exited).toBe(0);
      const theirs = JSON.parse(output.slice(output.indexOf("{"))) as MixTally;

      // Both processes really wrote, and the mix exercised every path.
      for (const tally of [mine, theirs]) {
        expect(tally.applied).toBeGreaterThan(100);
        expect(tally.repeats).toBeGreaterThan(10);
        expect(tally.insufficient).toBeGreaterThan(10);
        expect(tally.conflicts).toBeGreaterThan(10);
        expect(tally.invalid).toBeGreaterThan(10);
      }

      const rows = await query<{ user_id: number; amount: number; balance_after: number }>(ctx, "SELECT user_id, amount, balance_after FROM xp_ledger ORDER BY id");
      expect(rows.length).toBe(mine.applied + theirs.applied);
      for (const userId of userIds) {
        let running = 0;
        for (const row of rows.filter((r) => r.user_id === userId)) {
          running += row.amount;
          expect(row.balance_after).toBe(running);
          expect(running).toBeGreaterThanOrEqual(0);
        }
        expect(await ctx.services.xp.balance(userId)).toBe(running);
      }
      // Both processes' writes are in the one ledger (SQLite serializes writers: the busy timeout
      // made each wait for the other's transactions instead of failing).
      const byActor = await query<{ actor: string; n: number }>(ctx, "SELECT actor, CAST(count(*) AS INTEGER) AS n FROM xp_ledger GROUP BY actor ORDER BY actor");
      expect(byActor).toEqual([
        { actor: "mix:1", n: mine.applied },
        { actor: "mix:2", n: theirs.applied },
      ]);
      const duplicates = await query(ctx, "SELECT source, reference FROM xp_ledger WHERE reference IS NOT NULL GROUP BY 1, 2 HAVING count(*) > 1");
      expect(duplicates).toEqual([]);
      await ctx.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  test("nothing outside XpService writes the balance", () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (path.endsWith(".ts")) {
          const file = relative(ROOT, path);
          if (file === "src/xp/xp-service.ts") continue;
          const text = readFileSync(path, "utf8");
          if (/\.update\(profiles\)\s*\.set\(\{[^}]*(?<![\w.])xp\s*[:,}]/.test(text) || /UPDATE\s+[`"']?profiles[`"']?\s+SET[^;]*\bxp\b/i.test(text) || /\.insert\(xpLedger\)/.test(text)) {
            offenders.push(file);
          }
        }
      }
    };
    walk(join(ROOT, "src"));
    walk(join(ROOT, "cli"));
    expect(offenders).toEqual([]);
  });
});
