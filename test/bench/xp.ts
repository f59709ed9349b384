/**
 * XpService.add per second against its physical baseline: a raw bun:sqlite transaction doing the
 * same ledger insert and balance update with prepared statements, on a file with the same
 * settings (WAL, synchronous=FULL), in the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { createContext } from "../../src/context.ts";

export interface RateFigure {
  subject: string;
  operations: number;
  per_second: number;
}

function time(operations: number, run: (i: number) => void): number {
  const started = performance.now();
  for (let i = 0; i < operations; i++) run(i);
  return Math.round(operations / ((performance.now() - started) / 1000));
}

/** `operations` calls of `run`, `inFlight` at a time (each caller waits for its own before the next). */
async function timeConcurrent(operations: number, inFlight: number, run: (i: number) => Promise<unknown>): Promise<number> {
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < operations) await run(next++);
    }),
  );
  return Math.round(operations / ((performance.now() - started) / 1000));
}

export async function xpBench(operations = 5000): Promise<{ figures: RateFigure[]; ratio: number; ratio_one_at_a_time: number }> {
  const dir = mkdtempSync(join(tmpdir(), "coc-bench-xp-"));
  const open = (name: string) =>
    createContext(loadConfig({ COC_DATABASE: join(dir, name), COC_JWT_SECRET: "x".repeat(40), COC_LOG_LEVEL: "error" }));
  const users = 100;
  try {
    const service = await open("service.db");
    const serviceIds = await Promise.all(Array.from({ length: users }, async (_, i) => (await service.services.users.create({ username: `bench${i}` })).id));
    const raw = await open("raw.db");
    const rawDb = raw.sqlite!;
    const rawIds = await Promise.all(Array.from({ length: users }, async (_, i) => (await raw.services.users.create({ username: `bench${i}` })).id));

    const insert = rawDb.prepare(
      "INSERT INTO xp_ledger (user_id, amount, source, reference, balance_after, actor, created_at) VALUES (?, ?, 'check_in', ?, ?, 'bench', ?)",
    );
    const balance = rawDb.prepare<{ xp: number }, [number]>("SELECT xp FROM profiles WHERE user_id = ?");
    const update = rawDb.prepare("UPDATE profiles SET xp = ?, updated_at = ? WHERE user_id = ?");
    const rawAdd = rawDb.transaction((userId: number, amount: number, reference: string) => {
      const next = balance.get(userId)!.xp + amount;
      update.run(next, Date.now(), userId);
      insert.run(userId, amount, reference, next, Date.now());
    });

    // Warm both up, then measure.
    for (let i = 0; i < 200; i++) {
      rawAdd.immediate(rawIds[i % users]!, 5, `warm-${i}`);
      await service.services.xp.add({ userId: serviceIds[i % users]!, amount: 5, source: "check_in", reference: `warm-${i}` });
    }
    const add = (tag: string) => (i: number) => service.services.xp.add({ userId: serviceIds[i % users]!, amount: 5, source: "check_in", reference: `${tag}-${i}` });
    const baseline = time(operations, (i) => rawAdd.immediate(rawIds[i % users]!, 5, `r-${i}`));
    const oneAtATime = await timeConcurrent(operations, 1, add("s1"));
    const before = service.writer.stats();
    const concurrent = await timeConcurrent(operations, 64, add("s64"));
    const after = service.writer.stats();
    const batches = after.batches - before.batches;
    await service.close();
    await raw.close();
    return {
      figures: [
        { subject: "baseline: raw bun:sqlite transaction per change (select + update + insert, prepared)", operations, per_second: baseline },
        { subject: "XpService.add, one caller at a time (a batch each)", operations, per_second: oneAtATime },
        { subject: `XpService.add, 64 callers at once (group commit: ${batches} batches, ${Math.round((operations / Math.max(1, batches)) * 10) / 10} units each on average)`, operations, per_second: concurrent },
      ],
      ratio: Math.round((concurrent / baseline) * 100) / 100,
      ratio_one_at_a_time: Math.round((oneAtATime / baseline) * 100) / 100,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) console.log(JSON.stringify(await xpBench(), null, 2));
