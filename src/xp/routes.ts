import { Elysia } from "elysia";
import type { AuthGuard } from "../http/auth-guard.ts";
import { pageAnswer, PageQuery } from "../http/pagination.ts";
import { Problem } from "../http/schemas.ts";
import { HistoryPage, LeaderboardPage } from "./schemas.ts";
import { historyItemAnswer, leaderboardItemAnswer } from "./wire.ts";
import type { XpService } from "./xp-service.ts";

const tags = ["xp"];

/** /api/xp/: the caller's ledger and the leaderboard. */
export function xpRoutes({ xp, guard }: { xp: XpService; guard: AuthGuard }) {
  return new Elysia({ prefix: "/api/xp" })
    .use(guard)
    .get("/history/", async ({ caller, query }) => pageAnswer(await xp.history(caller.id, query), historyItemAnswer), {
      auth: true,
      query: PageQuery,
      response: { 200: HistoryPage, 400: Problem, 401: Problem, 403: Problem },
      detail: { tags, summary: "The caller's XP ledger, newest first", description: "Every change with the balance after it. Paginated with limit and cursor." },
    })
    .get("/leaderboard/", async ({ query }) => pageAnswer(await xp.leaderboard(query), leaderboardItemAnswer), {
      query: PageQuery,
      response: { 200: LeaderboardPage, 400: Problem },
      detail: {
        tags,
        summary: "Users by XP",
        description: "Most XP first; ties go to the older account, so pages never shift. `level` derives from XP: level n starts at 50·(n−1)² XP.",
      },
    });
}
