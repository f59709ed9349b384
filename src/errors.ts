/**
 * What went wrong, in the terms of the product rather than of a transport. Each transport maps a
 * kind to its own answer: HTTP in src/http/problem.ts, the CLI in cli/program.ts.
 */
export type ErrorKind =
  | "validation"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "payload_too_large"
  | "unsupported_media_type"
  | "rate_limited"
  | "upstream"
  | "unavailable"
  | "internal";

/** One problem in a request's input, located by a JSON pointer. */
export interface FieldError {
  path: string;
  message: string;
}

export interface AppErrorExtra {
  /** Field-level problems of a validation error. */
  errors?: FieldError[];
  /** Seconds until a retry can succeed (rate limits). */
  retryAfterSeconds?: number;
  /** Methods a path does answer (method_not_allowed). */
  allow?: string[];
}

/**
 * The one error type services throw. `code` is the stable snake_case string clients branch on
 * (`already_checked_in`); `detail` is a sentence for people and never carries secrets.
 *
 * @example throw new AppError("conflict", "already_checked_in", "Already checked in today");
 */
export class AppError extends Error {
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    readonly detail: string,
    readonly extra: AppErrorExtra = {},
  ) {
    super(detail);
    this.name = "AppError";
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
