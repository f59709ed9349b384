import { AppError, type ErrorKind } from "../errors.ts";

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

/** The RFC 9457 body of API.md → Conventions. */
export interface ProblemBody {
  type: "about:blank";
  title: string;
  status: number;
  code: string;
  detail: string;
  request_id?: string;
  errors?: { path: string; message: string }[];
}

/**
 * The one mapping from AppError to HTTP: status, problem+json body, and the headers a client
 * needs to act on it (Retry-After, Allow). Nothing but `detail` and `errors` reaches the client.
 */
export function problemResponse(error: AppError, requestId?: string): Response {
  const status = STATUS[error.kind];
  const body: ProblemBody = {
    type: "about:blank",
    title: TITLE[status] ?? "Error",
    status,
    code: error.code,
    detail: error.detail,
  };
  if (error.extra.errors) body.errors = error.extra.errors;
  if (requestId) body.request_id = requestId;
  const headers = new Headers({ "content-type": PROBLEM_CONTENT_TYPE, "cache-control": "no-store" });
  if (error.extra.retryAfterSeconds !== undefined) {
    headers.set("retry-after", String(Math.max(1, Math.ceil(error.extra.retryAfterSeconds))));
  }
  if (error.extra.allow) headers.set("allow", error.extra.allow.join(", "));
  return new Response(JSON.stringify(body), { status, headers });
}
