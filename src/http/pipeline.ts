import { Elysia } from "elysia";
import type { AppContext } from "../context.ts";
import { AppError, type FieldError } from "../errors.ts";
import { redactUrl } from "../log.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";
import { problemResponse } from "./problem.ts";

/** What the pipeline knows of one request in flight. */
interface RequestState {
  id: string;
  startedAt: number;
  /** Set when the answer was built here (errors, preflights), where Elysia does not report it. */
  status?: number;
}

const RAW_BODY = Symbol("coc.rawBody");

/** The body of a request exactly as it arrived (for HMAC checks over raw bytes: webhooks). */
export function rawBodyOf(request: Request): string {
  return (request as Request & { [RAW_BODY]?: string })[RAW_BODY] ?? "";
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

const API_SECURITY_HEADERS: Record<string, string> = {
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

/** A year: browsers that once reached an https deployment keep to https. */
const HSTS = "max-age=31536000";
const CORS_EXPOSE_HEADERS = "x-request-id, retry-after, location";

/** The path and query of a request URL, without parsing a URL object (this runs on every request). */
function pathAndQuery(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { pathname: "/", search: "" };
  const query = url.indexOf("?", start);
  return query < 0 ? { pathname: url.slice(start), search: "" } : { pathname: url.slice(start, query), search: url.slice(query) };
}

function isJson(contentType: string): boolean {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/** Reads a body as text, refusing it as soon as it grows past `limit` bytes (chunked bodies too). */
async function readLimited(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

function tooLarge(limit: number): AppError {
  return new AppError("payload_too_large", "payload_too_large", `Request bodies are limited to ${limit} bytes`);
}

/** Elysia's validation failures as `errors: [{path, message}]`, one per field. */
function fieldErrors(error: unknown): FieldError[] {
  const all = (error as { all?: { path?: string; summary?: string; message?: string }[] }).all ?? [];
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const item of all) {
    const path = item.path || "/";
    const message = item.summary ?? item.message ?? "is invalid";
    const key = `${path} ${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ path, message });
  }
  return out.length > 0 ? out : [{ path: "/", message: "is invalid" }];
}

type RouteMatcher = { method: string; pattern: RegExp };

function compileRoutes(history: readonly { method: string; path: string }[]): RouteMatcher[] {
  return history.map(({ method, path }) => {
    const body = path
      .replace(/\/+$/, "")
      .split("/")
      .map((segment) =>
        segment === "*" ? ".*" : segment.startsWith(":") ? "[^/]+" : segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      )
      .join("/");
    return { method: method.toUpperCase(), pattern: new RegExp(`^${body}/?$`) };
  });
}

/**
 * The HTTP edge every route shares: request ids, the access log, CORS, security headers, the
 * body limit and JSON parsing, and the mapping of every failure to problem+json.
 */
export function httpPipeline(ctx: AppContext) {
  const { config, log } = ctx;
  // Answers of the API carry tokens and personal data: no cache keeps them. HSTS only where the
  // operator says clients reach us over https (COC_PUBLIC_URL): over plain http it would be ignored.
  const apiHeaders: Record<string, string> = { ...API_SECURITY_HEADERS, "cache-control": "no-store" };
  if (config.publicUrl?.startsWith("https://")) apiHeaders["strict-transport-security"] = HSTS;
  const states = new WeakMap<Request, RequestState>();
  const allowedOrigins = new Set(config.corsOrigins);
  let routes: RouteMatcher[] | undefined;
  let routeCount = -1;

  const stateOf = (request: Request): RequestState => {
    let state = states.get(request);
    if (!state) {
      state = { id: crypto.randomUUID(), startedAt: performance.now() };
      states.set(request, state);
    }
    return state;
  };

  const finish = (request: Request, state: RequestState, status: number) => {
    if (!log.enabled(status >= 500 ? "error" : "info")) return;
    const url = pathAndQuery(request.url);
    const fields = {
      request_id: state.id,
      method: request.method,
      path: redactUrl(url.pathname + url.search),
      status,
      duration_ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
    };
    if (status >= 500) log.error("request", fields);
    else log.info("request", fields);
  };

  /** An answer given by the edge itself, before any route: logged here, as no hook will. */
  const answerEarly = (request: Request, state: RequestState, response: Response): Response => {
    state.status = response.status;
    finish(request, state, response.status);
    return response;
  };

  return (app: Elysia) => {
    /** Other methods that do answer this path, for a 405 instead of a 404. */
    const allowedMethods = (method: string, pathname: string): string[] => {
      const history = app.router.history;
      if (!routes || routeCount !== history.length) {
        routes = compileRoutes(history);
        routeCount = history.length;
      }
      const allow = new Set<string>();
      for (const route of routes) {
        if (route.method !== method && route.method !== "ALL" && route.pattern.test(pathname)) allow.add(route.method);
      }
      return [...allow].sort();
    };

    return app
      .onRequest(({ request, set }) => {
        const state = stateOf(request);
        const incoming = request.headers.get("x-request-id");
        if (incoming && REQUEST_ID.test(incoming)) state.id = incoming;
        const { pathname } = pathAndQuery(request.url);
        Object.assign(set.headers, apiHeaders);
        set.headers["x-request-id"] = state.id;
        if (pathname === "/swagger" || pathname.startsWith("/swagger/")) {
          set.headers["content-security-policy"] = DOCS_CSP;
          delete set.headers["cache-control"];
        }

        const origin = request.headers.get("origin");
        const corsAllowed = origin !== null && allowedOrigins.has(origin);
        if (corsAllowed) {
          set.headers["access-control-allow-origin"] = origin;
          set.headers["access-control-expose-headers"] = CORS_EXPOSE_HEADERS;
        }
        if (origin !== null) set.headers.vary = "Origin";

        if (request.method === "OPTIONS" && origin !== null && request.headers.has("access-control-request-method")) {
          if (!corsAllowed) {
            const error = new AppError("forbidden", "cors_origin_not_allowed", `Origin ${origin} is not allowed`);
            return answerEarly(request, state, problemResponse(error, state.id));
          }
          return answerEarly(
            request,
            state,
            new Response(null, {
              status: 204,
              headers: {
                "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
                "access-control-allow-headers": CORS_ALLOW_HEADERS,
                "access-control-max-age": "600",
              },
            }),
          );
        }

        const declared = Number(request.headers.get("content-length") ?? "0");
        if (declared > config.maxBodyBytes) return answerEarly(request, state, problemResponse(tooLarge(config.maxBodyBytes), state.id));
      })
      .onParse(async ({ request, contentType }) => {
        const text = await readLimited(request, config.maxBodyBytes);
        (request as Request & { [RAW_BODY]?: string })[RAW_BODY] = text;
        if (text.trim() === "") return null;
        if (!isJson(contentType ?? "")) {
          throw new AppError(
            "unsupported_media_type",
            "unsupported_media_type",
            "Send JSON with Content-Type: application/json",
          );
        }
        if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
          throw new AppError("validation", "too_deeply_nested", `JSON bodies may nest at most ${MAX_JSON_DEPTH} levels deep`);
        }
        try {
          return JSON.parse(text);
        } catch {
          throw new AppError("validation", "malformed_json", "The request body is not valid JSON");
        }
      })
      .onError(({ code, error, request }) => {
        const state = stateOf(request);
        // Elysia wraps what a parser throws in its own ParseError; the AppError is its cause.
        const cause = (error as { cause?: unknown }).cause;
        let failure: AppError;
        if (error instanceof AppError) {
          failure = error;
        } else if (cause instanceof AppError) {
          failure = cause;
        } else if (code === "VALIDATION" && (error as { type?: string }).type === "response") {
          log.error("answer does not match its schema", { request_id: state.id, error: fieldErrors(error) });
          failure = new AppError("internal", "internal_error", "Something went wrong on our side");
        } else if (code === "VALIDATION") {
          failure = new AppError("validation", "validation_failed", "The request is invalid", {
            errors: fieldErrors(error),
          });
        } else if (code === "NOT_FOUND") {
          const { pathname } = pathAndQuery(request.url);
          const allow = allowedMethods(request.method, pathname);
          failure =
            allow.length > 0
              ? new AppError("method_not_allowed", "method_not_allowed", `${request.method} is not allowed here`, { allow })
              : new AppError("not_found", "not_found", `No route for ${request.method} ${pathname}`);
        } else if (code === "PARSE") {
          failure = new AppError("validation", "malformed_json", "The request body is not valid JSON");
        } else if (code === "INVALID_COOKIE_SIGNATURE" || code === "INVALID_FILE_TYPE") {
          failure = new AppError("validation", "invalid_request", "The request is invalid");
        } else {
          log.error("unhandled error", { request_id: state.id, error });
          failure = new AppError("internal", "internal_error", "Something went wrong on our side");
        }
        const response = problemResponse(failure, state.id);
        state.status = response.status;
        return response;
      })
      .onAfterResponse(({ request, set, responseValue }) => {
        const state = stateOf(request);
        const status =
          state.status ??
          (responseValue instanceof Response
            ? responseValue.status
            : typeof set.status === "number"
              ? set.status
              : 200);
        finish(request, state, status);
      });
  };
}
