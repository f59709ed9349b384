import { type Static, Type } from "@sinclair/typebox";
import { XP_SOURCES } from "../db/schema.ts";
import { PageOf } from "../http/pagination.ts";
import { OneOf } from "../http/schemas.ts";

export const HistoryItem = Type.Object(
  {
    id: Type.Integer(),
    amount: Type.Integer({ description: "Positive: earned; negative: spent" }),
    source: OneOf(XP_SOURCES),
    reference: Type.Union([Type.String(), Type.Null()]),
    balance_after: Type.Integer(),
    created_at: Type.String({ format: "date-time" }),
  },
  { title: "XpHistoryItem" },
);

export const LeaderboardItem = Type.Object(
  {
    rank: Type.Integer({ minimum: 1 }),
    username: Type.String(),
    avatar_url: Type.Union([Type.String(), Type.Null()]),
    xp: Type.Integer(),
    level: Type.Integer(),
  },
  { title: "LeaderboardItem" },
);

export const HistoryPage = PageOf(HistoryItem, "XpHistoryPage");
export const LeaderboardPage = PageOf(LeaderboardItem, "LeaderboardPage");

export type HistoryItemAnswer = Static<typeof HistoryItem>;
export type LeaderboardItemAnswer = Static<typeof LeaderboardItem>;
