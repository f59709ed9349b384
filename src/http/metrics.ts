import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import { sameSecret } from "../hash.ts";
import type { Metrics } from "../metrics.ts";
import { bearerToken } from "./auth-guard.ts";
import { Problem } from "./schemas.ts";

/**
 * GET /metrics in Prometheus's text format, only when COC_METRICS_TOKEN is set (otherwise there is
 * no such route: 404), and only for that bearer token (compared in constant time; anything else 401).
 */
export function metricsRoutes(metrics: Metrics, token: string | null) {
  const app = new Elysia({ name: "coc-metrics" });
  if (token === null) return app;
  return app.get(
    "/metrics",
    async ({ request, set }) => {
      const presented = bearerToken(request.headers.get("authorization"));
      if (presented === null || !sameSecret(presented, token)) {
        throw new AppError("unauthorized", "invalid_metrics_token", "Send the metrics token (COC_METRICS_TOKEN) as a bearer token");
      }
      set.headers["content-type"] = metrics.contentType;
      return metrics.text();
    },
    {
      response: { 200: Type.String({ description: "Prometheus text exposition format" }), 401: Problem },
      detail: {
        tags: ["operations"],
        summary: "Metrics for Prometheus",
        description:
          "Requests by route and status, latency, open sockets and chat users, chat messages, check-ins, XP by source, payment outcomes, the writer's batch sizes, and the process's own figures. Needs the COC_METRICS_TOKEN bearer token.",
        security: [{ metricsToken: [] }],
      },
    },
  );
}
