/**
 * A seeded, randomized mix of XP changes through XpService: grants, spends that may overdraw,
 * repeats of shared references (which two processes may race to apply), conflicting repeats and
 * invalid changes. Run in-process by the invariant test, and as a second process:
 *   bun test/support/xp-mix.ts <database> <seed> <operations> <userIds,comma-separated>
 */
import { isAppError } from "../../src/errors.ts";
import type { XpService } from "../../src/xp/xp-service.ts";

export interface MixTally {
  applied: number;
  repeats: number;
  insufficient: number;
  conflicts: number;
  invalid: number;
}

function mulberry32(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A reference fixes its user and amount, so the same reference from either process is a true repeat. */
function shared(ref: number, userIds: number[]) {
  return { userId: userIds[ref % userIds.length]!, amount: (ref % 47) + 3, reference: `shared-${ref}` };
}

/**
 * Runs the mix. Between changes it yields to the event loop, so that another process waiting for
 * the write lock gets its turn instead of being starved by a tight loop of transactions.
 */
export async function runMix(xp: XpService, seed: number, operations: number, userIds: number[]): Promise<MixTally> {
  const random = mulberry32(seed);
  const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
  const tally: MixTally = { applied: 0, repeats: 0, insufficient: 0, conflicts: 0, invalid: 0 };
  for (let i = 0; i < operations; i++) {
    await new Promise((resolve) => setImmediate(resolve));
    const roll = random();
    try {
      let result;
      if (roll < 0.35) {
        result = await xp.add({ ...shared(Math.floor(random() * 400), userIds), source: "check_in", actor: `mix:${seed}` });
      } else if (roll < 0.6) {
        result = await xp.add({ userId: pick(userIds), amount: -Math.ceil(random() * 400), source: "streak_freeze_purchase", actor: `mix:${seed}` });
      } else if (roll < 0.8) {
        const amount = Math.ceil(random() * 200) * (random() < 0.5 ? -1 : 1);
        result = await xp.add({ userId: pick(userIds), amount, source: "admin_adjustment", reference: `adj-${seed}-${i}`, actor: `mix:${seed}` });
      } else if (roll < 0.9) {
        const ref = shared(Math.floor(random() * 400), userIds);
        result = await xp.add({ ...ref, amount: ref.amount + 1, source: "check_in", actor: `mix:${seed}` });
      } else {
        result = await xp.add({ userId: pick(userIds), amount: 0, source: "admin_adjustment", actor: `mix:${seed}` });
      }
      if (result.applied) tally.applied++;
      else tally.repeats++;
    } catch (error) {
      if (!isAppError(error)) throw error;
      if (error.code === "insufficient_xp") tally.insufficient++;
      else if (error.code === "reference_conflict") tally.conflicts++;
      else if (error.code === "validation_failed") tally.invalid++;
      else throw error;
    }
  }
  return tally;
}

if (import.meta.main) {
  const [database, seed, operations, ids] = process.argv.slice(2);
  const { loadConfig } = await import("../../src/config.ts");
  const { createContext } = await import("../../src/context.ts");
  const where = database!.startsWith("postgres") ? { COC_DATABASE_URL: database! } : { COC_DATABASE: database! };
  const ctx = await createContext(loadConfig({ ...where, COC_JWT_SECRET: "x".repeat(40), COC_LOG_LEVEL: "error" }));
  process.stdout.write("ready\n");
  // Wait for the go-ahead so both processes write at the same time.
  for await (const _ of console) break;
  const tally = await runMix(ctx.services.xp, Number(seed), Number(operations), ids!.split(",").map(Number));
  await ctx.close();
  process.stdout.write(`${JSON.stringify(tally)}\n`);
}
