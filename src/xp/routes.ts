import { Elysia, t } from "elysia";
import type { AppContext } from "../context.ts";
import { XP_SOURCES } from "../db/schema.ts";
import { authGuard } from "../http/auth-guard.ts";
import { PageOf, PageQuery } from "../http/pagination.ts";
import { Problem } from "../http/schemas.ts";

const tags = ["xp"];

const HistoryItem = t.Object({
  id: t.Integer(),
  amount: t.Integer({ description: "Positive: earned; negative: spent" }),
  source: t.UnionEnum([...XP_SOURCES]),
  reference: t.Union([t.String(), t.Null()]),
  balance_after: t.Integer(),
  created_at: t.String({ format: "date-time" }),
});

const LeaderboardItem = t.Object({
  rank: t.Integer({ minimum: 1 }),
  username: t.String(),
  avatar_url: t.Union([t.String(), t.Null()]),
  xp: t.Integer(),
  level: t.Integer(),
});

/** /api/xp/: the caller's ledger and the leaderboard. */
export function xpRoutes(ctx: AppContext) {
  const { xp } = ctx.services;
  return new Elysia({ prefix: "/api/xp" })
    .use(authGuard(ctx))
    .get("/history/", ({ caller, query }) => xp.history(caller.id, query), {
      auth: true,
      query: PageQuery,
      response: { 200: PageOf(HistoryItem, "XpHistoryPage"), 400: Problem, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's XP ledger, newest first", description: "Every change with the balance after it. Paginated with limit and cursor." },
    })
    .get("/leaderboard/", ({ query }) => xp.leaderboard(query), {
      query: PageQuery,
      response: { 200: PageOf(LeaderboardItem, "LeaderboardPage"), 400: Problem },
      detail: {
        tags,
        summary: "Users by XP",
        description: "Most XP first; ties go to the older account, so pages never shift. `level` derives from XP: level n starts at 50·(n−1)² XP.",
      },
    });
}
