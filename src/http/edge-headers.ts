import type { Config } from "../config.ts";
import { AppError } from "../errors.ts";
import { problemResponse } from "./problem.ts";
import type { ArrivalStep, RequestLog } from "./request-log.ts";

const SECURITY_HEADERS: Record<string, string> = {
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cross-origin-opener-policy": "same-origin",
  "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
};

/** The docs page runs Swagger UI's own bundle and one inline bootstrap script, all from this server. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; " +
  "img-src 'self' data:; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'";

const CORS_ALLOW_HEADERS = "authorization, content-type, idempotency-key, x-request-id";
const CORS_EXPOSE_HEADERS = "x-request-id, retry-after, location, link";

/** A year: browsers that once reached an https deployment keep to https. */
const HSTS = "max-age=31536000";

/** What a path serves, which decides its headers. */
export type PathKind = "api" | "docs" | "media" | "web";

export function pathKind(pathname: string): PathKind {
  if (pathname.startsWith("/api/") || pathname === "/api" || pathname.startsWith("/ws/") || pathname === "/healthz") return "api";
  if (pathname === "/swagger" || pathname.startsWith("/swagger/")) return "docs";
  if (pathname.startsWith("/media/")) return "media";
  return "web";
}

/**
 * Security headers on every answer, by what the path serves: API answers (tokens, personal data)
 * are never cached; the docs and the web app get their own CSP (the web app's is COC_WEB_CSP,
 * without Cross-Origin-Opener-Policy: its OAuth popup posts its result to its opener); media and
 * web files set their own caching. CORS for the configured origins only: their preflights are
 * answered here (204), anyone else's refused (403 problem).
 */
export function edgeHeaders(config: Pick<Config, "corsOrigins" | "publicUrl" | "webCsp">, requests: RequestLog): ArrivalStep {
  const allowedOrigins = new Set(config.corsOrigins);
  // HSTS only where the operator says clients reach us over https: over plain http it is ignored.
  const base: Record<string, string> = config.publicUrl?.startsWith("https://") ? { ...SECURITY_HEADERS, "strict-transport-security": HSTS } : SECURITY_HEADERS;
  const { "cross-origin-opener-policy": _, ...withoutOpenerPolicy } = base;
  const headers: Record<PathKind, Record<string, string>> = {
    api: { ...base, "cache-control": "no-store" },
    docs: { ...base, "content-security-policy": DOCS_CSP },
    media: base,
    web: { ...withoutOpenerPolicy, "content-security-policy": config.webCsp, "referrer-policy": "strict-origin-when-cross-origin" },
  };

  return (request, answer, state) => {
    Object.assign(answer, headers[pathKind(state.pathname)]);
    const origin = request.headers.get("origin");
    if (origin === null) return undefined;
    answer.vary = "Origin";
    const allowed = allowedOrigins.has(origin);
    if (allowed) {
      answer["access-control-allow-origin"] = origin;
      answer["access-control-expose-headers"] = CORS_EXPOSE_HEADERS;
    }
    if (request.method !== "OPTIONS" || !request.headers.has("access-control-request-method")) return undefined;
    if (!allowed) {
      const refused = new AppError("forbidden", "cors_origin_not_allowed", `Origin ${origin} is not allowed`);
      return requests.answerEarly(request, problemResponse(refused, state.id));
    }
    return requests.answerEarly(
      request,
      new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
          "access-control-allow-headers": CORS_ALLOW_HEADERS,
          "access-control-max-age": "600",
        },
      }),
    );
  };
}
