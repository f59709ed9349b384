import { levelFor } from "./levels.ts";
import type { HistoryItemAnswer, LeaderboardItemAnswer } from "./schemas.ts";
import type { LeaderboardEntry, LedgerEntry } from "./xp-service.ts";

export function historyItemAnswer(entry: LedgerEntry): HistoryItemAnswer {
  return {
    id: entry.id,
    amount: entry.amount,
    source: entry.source,
    reference: entry.reference,
    balance_after: entry.balanceAfter,
    created_at: entry.createdAt.toISOString(),
  };
}

export function leaderboardItemAnswer(entry: LeaderboardEntry): LeaderboardItemAnswer {
  return { rank: entry.rank, username: entry.username, avatar_url: entry.avatarUrl, xp: entry.xp, level: levelFor(entry.xp) };
}
