import { AppError, type ErrorKind, type FieldError } from "../errors.ts";

const STATUS: Record<ErrorKind, number> = {
  validation: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  internal: 500,
  upstream: 502,
  unavailable: 503,
};

const TITLE: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  413: "Content Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
};

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export function statusOf(kind: ErrorKind): number {
  return STATUS[kind];
}

/** How Elysia reports what went wrong before or around a route, besides errors thrown by it. */
export type FrameworkCode = "VALIDATION" | "NOT_FOUND" | "PARSE" | "INVALID_COOKIE_SIGNATURE" | "INVALID_FILE_TYPE" | string | number;

export interface Problem {
  error: AppError;
  /** Something broke on our side: the error log line to write (with `cause`, never sent). */
  internal?: { message: string; cause: unknown };
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

const INTERNAL = () => new AppError("internal", "internal_error", "Something went wrong on our side");

/**
 * The one mapping of anything thrown while answering a request to the problem it is for the
 * client. Pure: `allow` names the other methods a path answers (a 405 instead of a 404).
 * An answer that broke its own schema and any unknown error become a 500 that says nothing more.
 */
export function toProblem(error: unknown, code: FrameworkCode, request: { method: string; pathname: string; allow: () => string[] }): Problem {
  if (error instanceof AppError) return { error };
  // Elysia wraps what a parser throws in its own ParseError; the AppError is its cause.
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof AppError) return { error: cause };
  if (code === "VALIDATION" && (error as { type?: string }).type === "response") {
    return { error: INTERNAL(), internal: { message: "answer does not match its schema", cause: fieldErrors(error) } };
  }
  if (code === "VALIDATION") {
    return { error: new AppError("validation", "validation_failed", "The request is invalid", { errors: fieldErrors(error) }) };
  }
  if (code === "NOT_FOUND") {
    const allow = request.allow();
    return {
      error:
        allow.length > 0
          ? new AppError("method_not_allowed", "method_not_allowed", `${request.method} is not allowed here`, { allow })
          : new AppError("not_found", "not_found", `No route for ${request.method} ${request.pathname}`),
    };
  }
  if (code === "PARSE") return { error: new AppError("validation", "malformed_json", "The request body is not valid JSON") };
  if (code === "INVALID_COOKIE_SIGNATURE" || code === "INVALID_FILE_TYPE") {
    return { error: new AppError("validation", "invalid_request", "The request is invalid") };
  }
  return { error: INTERNAL(), internal: { message: "unhandled error", cause: error } };
}

/** The RFC 9457 body of API.md → Conventions. */
export interface ProblemBody {
  type: "about:blank";
  title: string;
  status: number;
  code: string;
  detail: string;
  /** The same as `detail`: the original web client reads its messages from `error`. */
  error: string;
  request_id?: string;
  errors?: FieldError[];
}

/**
 * An AppError as HTTP: status, problem+json body, and the headers a client needs to act on it
 * (Retry-After, Allow). Nothing but `detail` and `errors` reaches the client.
 */
export function problemResponse(error: AppError, requestId?: string): Response {
  const status = STATUS[error.kind];
  const body: ProblemBody = { type: "about:blank", title: TITLE[status] ?? "Error", status, code: error.code, detail: error.detail, error: error.detail };
  if (error.extra.errors) body.errors = error.extra.errors;
  if (requestId) body.request_id = requestId;
  const headers = new Headers({ "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store" });
  if (error.extra.retryAfterSeconds !== undefined) {
    headers.set("retry-after", String(Math.max(1, Math.ceil(error.extra.retryAfterSeconds))));
  }
  if (error.extra.allow) headers.set("allow", error.extra.allow.join(", "));
  return new Response(JSON.stringify(body), { status, headers });
}
