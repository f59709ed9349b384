import type { Logger } from "../log.ts";
import { redactUrl } from "../log.ts";
import type { Metrics } from "../metrics.ts";

/** The path and query of a request URL, without parsing a URL object (this runs on every request). */
export function pathAndQuery(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { pathname: "/", search: "" };
  const query = url.indexOf("?", start);
  return query < 0 ? { pathname: url.slice(start), search: "" } : { pathname: url.slice(start, query), search: url.slice(query) };
}

/** What the edge knows of one request in flight. */
export interface RequestState {
  id: string;
  startedAt: number;
  pathname: string;
  search: string;
  /** Set once the access line is written: a request is logged once. */
  logged?: boolean;
}

/** The headers an answer will carry, as Elysia keeps them while a request is handled. */
export type AnswerHeaders = Record<string, string | number>;

/**
 * One part of the edge's work on a request as it arrives: it may set answer headers, or answer at
 * once (a preflight, a body too large). The edge runs its steps in one hook.
 */
export type ArrivalStep = (request: Request, headers: AnswerHeaders, state: RequestState) => Response | undefined;

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Requests in flight: each one's id (a well-formed incoming X-Request-Id is kept), start and path,
 * and the access log line written when it is answered. Shared by the edge's parts.
 */
export class RequestLog {
  readonly #states = new WeakMap<Request, RequestState>();
  /** Ids are this process's random prefix and a counter: unique, and far cheaper than a UUID per request. */
  readonly #prefix = `${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("base64url")}-`;
  #counter = 0;

  constructor(
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  /** The request's state, made on first sight (its URL read once). */
  of(request: Request): RequestState {
    let state = this.#states.get(request);
    if (!state) {
      const incoming = request.headers.get("x-request-id");
      const { pathname, search } = pathAndQuery(request.url);
      state = {
        id: incoming && REQUEST_ID.test(incoming) ? incoming : this.#prefix + (++this.#counter).toString(36),
        startedAt: performance.now(),
        pathname,
        search,
      };
      this.#states.set(request, state);
    }
    return state;
  }

  /**
   * Writes the request's access log line (an error line for a 5xx) and counts it under its route
   * template (`route`; "unmatched" when no route took it), once.
   */
  finish(request: Request, status: number, route = "unmatched"): void {
    const state = this.of(request);
    if (state.logged) return;
    state.logged = true;
    const elapsedMs = performance.now() - state.startedAt;
    this.metrics?.request(request.method, route, status, elapsedMs / 1000);
    if (!this.log.enabled(status >= 500 ? "error" : "info")) return;
    this.log.access({
      request_id: state.id,
      method: request.method,
      path: state.search === "" ? state.pathname : redactUrl(state.pathname + state.search),
      status,
      duration_ms: Math.round(elapsedMs * 100) / 100,
    });
  }

  /** An answer given by the edge itself, before any route: logged here. */
  answerEarly(request: Request, response: Response): Response {
    this.finish(request, response.status, "edge");
    return response;
  }
}

/** The request id on every answer. */
export const requestIdHeader: ArrivalStep = (_request, headers, state) => {
  headers["x-request-id"] = state.id;
  return undefined;
};
