import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { LogReader } from "../support/cli.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { useTempDirs } from "../support/temp.ts";
import { createTestContext, engineEnv, query, TEST_JWT_SECRET } from "../support/test-context.ts";

const ROOT = join(import.meta.dir, "../..");
const tempDir = useTempDirs("coc-durability-");

/** Users with a signed-in session each, written through the services, and their access tokens. */
async function seed(database: string, count: number): Promise<{ id: number; token: string }[]> {
  // The server will check tokens against the real clock.
  const { ctx } = await createTestContext({ env: { COC_DATABASE: database }, clock: new FakeClock(new Date()) });
  try {
    return await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const user = await ctx.services.users.create({ username: `member${i}` });
        return { id: user.id, token: (await ctx.services.tokens.issue(user)).accessToken };
      }),
    );
  } finally {
    await ctx.close();
  }
}

describe("acknowledged = durable", () => {
  test("a server killed with SIGKILL in the middle of a check-in load keeps every check-in it answered, and every balance equals its ledger", async () => {
    const dir = tempDir();
    const database = join(dir, "coc.db");
    const members = await seed(database, 600);
    // The database of the engine the suite runs on: this SQLite file, or the Postgres database the seed went to.
    const child = Bun.spawn([process.execPath, join(ROOT, "cli/main.ts"), "serve", "--port", "0", "--host", "127.0.0.1"], {
      env: { PATH: process.env.PATH ?? "", COC_JWT_SECRET: TEST_JWT_SECRET, COC_DATA_DIR: dir, ...(await engineEnv({ COC_DATABASE: database })) },
      stdout: "pipe",
      stderr: "pipe",
    });
    const log = new LogReader(child.stdout);
    const { url } = await log.waitFor((line) => line.msg === "listening");

    const acknowledged = new Set<number>();
    const refused: number[] = [];
    let next = 0;
    let killed = false;
    // 48 clients check distinct members in; once 200 are answered, the server is killed mid-load.
    const client = async () => {
      while (!killed && next < members.length) {
        const member = members[next++]!;
        try {
          const response = await fetch(new URL("/api/rewards/check-in/", url), { method: "POST", headers: { authorization: `Bearer ${member.token}` } });
          if (response.status === 201) acknowledged.add(member.id);
          else if (!killed) refused.push(response.status);
        } catch {
          // The connection died with the server: not acknowledged.
        }
        if (acknowledged.size >= 200 && !killed) {
          killed = true;
          child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: 48 }, client));
    expect(await child.exited).not.toBe(0);
    expect(refused).toEqual([]);
    expect(acknowledged.size).toBeGreaterThanOrEqual(200);
    // Requests were still in flight when it died: the kill came in the middle of the load.
    expect(next).toBeLessThan(members.length);

    // After a restart (WAL recovery on SQLite), as the next server would see the database.
    const { ctx } = await createTestContext({ env: { COC_DATABASE: database } });
    const checkedIn = new Set((await query<{ user_id: number }>(ctx, "SELECT user_id FROM check_ins")).map((row) => row.user_id));
    for (const id of acknowledged) expect(checkedIn.has(id)).toBe(true);
    const mismatched = await query<{ user_id: number }>(
      ctx,
      `SELECT p.user_id FROM profiles p
         WHERE p.xp <> (SELECT coalesce(sum(amount), 0) FROM xp_ledger l WHERE l.user_id = p.user_id)
            OR EXISTS (SELECT 1 FROM check_ins c WHERE c.user_id = p.user_id
                       AND NOT EXISTS (SELECT 1 FROM xp_ledger l WHERE l.user_id = c.user_id AND l.source = 'check_in' AND l.reference = c.user_id || ':' || c.date))`,
    );
    expect(mismatched).toEqual([]);
    await ctx.close();
  }, 60_000);
});
