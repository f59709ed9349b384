import { and, count, eq, gt, like } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import type { Metrics } from "../metrics.ts";
import { profiles, users, xpLedger } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import type { XpService } from "../xp/xp-service.ts";

/** XP each side of a referral receives. */
export const REFERRAL_XP = 100;

const DAY_MS = 86_400_000;

/** What redeeming a code did. */
export interface Redemption {
  /** XP the redeemer received. */
  xpAwarded: number;
  /** The redeemer's balance after it. */
  totalXp: number;
  /** The code owner's username. */
  referrer: string;
  /** False when the owner had already received their most rewards in 24 hours. */
  referrerRewarded: boolean;
}

/**
 * Referral codes: a user redeems someone else's code once, and both receive 100 XP
 * (`source: referral`) — the code's owner at most `dailyCap` times in any 24 hours, so farming a
 * code with throwaway accounts (the shop sells XP for money) earns little.
 */
export class ReferralService {
  constructor(private readonly deps: { writer: Writer; clock: Clock; xp: XpService; metrics: Metrics; dailyCap: number }) {}

  /**
   * Redeems `code` (any case) for `userId`: one unit of work records the referral and credits
   * both users through XpService. Own code (`own_referral_code`), unknown code (`referral_code_not_found`), a
   * second redeem or two users redeeming each other's codes (`referral_already_redeemed`,
   * `mutual_referral`) change nothing. The XP references are keyed
   * by the redeeming user, so even a racing duplicate cannot credit twice. Past the owner's daily
   * cap the redeemer still gets their XP and the owner nothing.
   */
  async redeem(userId: number, code: string): Promise<Redemption> {
    const redemption = await this.deps.writer.run(async (tx): Promise<Redemption> => {
      const normalized = code.trim().toUpperCase();
      const owner = first(
        await tx.db
          .select({ userId: profiles.userId, referredBy: profiles.referredByUserId, disabled: users.disabled })
          .from(profiles)
          .innerJoin(users, eq(users.id, profiles.userId))
          .where(eq(profiles.referralCode, normalized)),
      );
      // A disabled (or deleted) account's code earns nobody anything.
      if (!owner || owner.disabled) throw new AppError("not_found", "referral_code_not_found", "No such referral code");
      if (owner.userId === userId) throw new AppError("validation", "own_referral_code", "You cannot redeem your own referral code");
      const me = first(await tx.db.select({ referredBy: profiles.referredByUserId }).from(profiles).where(eq(profiles.userId, userId)));
      if (!me) throw new AppError("not_found", "user_not_found", "No such user");
      if (me.referredBy !== null) throw new AppError("conflict", "referral_already_redeemed", "You have already redeemed a referral code");
      if (owner.referredBy === userId) {
        throw new AppError("conflict", "mutual_referral", "This user joined with your code; you cannot redeem theirs");
      }
      await tx.db.update(profiles).set({ referredByUserId: owner.userId, referredAt: this.deps.clock.now() }).where(eq(profiles.userId, userId));
      const actor = `user:${userId}`;
      const mine = await this.deps.xp.addIn(tx, { userId, amount: REFERRAL_XP, source: "referral", reference: `redeemed:${userId}`, actor });
      const since = new Date(this.deps.clock.now().getTime() - DAY_MS);
      const rewardedToday =
        first(
          await tx.db
            .select({ n: count() })
            .from(xpLedger)
            .where(and(eq(xpLedger.userId, owner.userId), eq(xpLedger.source, "referral"), like(xpLedger.reference, "referred:%"), gt(xpLedger.createdAt, since))),
        )?.n ?? 0;
      const referrerRewarded = rewardedToday < this.deps.dailyCap;
      if (referrerRewarded) {
        await this.deps.xp.addIn(tx, { userId: owner.userId, amount: REFERRAL_XP, source: "referral", reference: `referred:${userId}`, actor });
      }
      const referrer = first(await tx.db.select({ username: users.username }).from(users).where(eq(users.id, owner.userId)));
      return { xpAwarded: REFERRAL_XP, totalXp: mine.balance, referrer: referrer?.username ?? "", referrerRewarded };
    });
    this.deps.metrics.xp("referral", redemption.referrerRewarded ? 2 * REFERRAL_XP : REFERRAL_XP);
    return redemption;
  }
}
