import { Elysia } from "elysia";
import type { Logger } from "../log.ts";
import { redactUrl } from "../log.ts";

/** The path and query of a request URL, without parsing a URL object (this runs on every request). */
export function pathAndQuery(url: string): { pathname: string; search: string } {
  const start = url.indexOf("/", url.indexOf("//") + 2);
  if (start < 0) return { pathname: "/", search: "" };
  const query = url.indexOf("?", start);
  return query < 0 ? { pathname: url.slice(start), search: "" } : { pathname: url.slice(start, query), search: url.slice(query) };
}

/** What the edge knows of one request in flight. */
interface RequestState {
  id: string;
  startedAt: number;
  /** Set when the answer was built by the edge (errors, preflights), where Elysia does not report it. */
  status?: number;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Requests in flight: each one's id (a well-formed incoming X-Request-Id is kept) and start, and
 * the access log line written when it is answered. Shared by the edge's plugins.
 */
export class RequestLog {
  readonly #states = new WeakMap<Request, RequestState>();

  constructor(private readonly log: Logger) {}

  /** The request's state, made on first sight. */
  of(request: Request): RequestState {
    let state = this.#states.get(request);
    if (!state) {
      const incoming = request.headers.get("x-request-id");
      state = { id: incoming && REQUEST_ID.test(incoming) ? incoming : crypto.randomUUID(), startedAt: performance.now() };
      this.#states.set(request, state);
    }
    return state;
  }

  /** Writes the access log line (an error line for a 5xx). */
  finish(request: Request, status: number): void {
    if (!this.log.enabled(status >= 500 ? "error" : "info")) return;
    const state = this.of(request);
    const url = pathAndQuery(request.url);
    const fields = {
      request_id: state.id,
      method: request.method,
      path: redactUrl(url.pathname + url.search),
      status,
      duration_ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
    };
    if (status >= 500) this.log.error("request", fields);
    else this.log.info("request", fields);
  }

  /** An answer given by the edge itself, before any route: logged here, as no later hook will. */
  answerEarly(request: Request, response: Response): Response {
    this.of(request).status = response.status;
    this.finish(request, response.status);
    return response;
  }

  /** Notes the status of an answer the edge built after the route (a problem). */
  answered(request: Request, status: number): void {
    this.of(request).status = status;
  }
}

/** Request ids on every answer, and one access log line per request. */
export function requestIds(requests: RequestLog) {
  return (app: Elysia) =>
    app
      .onRequest(({ request, set }) => {
        set.headers["x-request-id"] = requests.of(request).id;
      })
      .onAfterResponse(({ request, set, responseValue }) => {
      const state = requests.of(request);
      const status =
        state.status ?? (responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200);
        requests.finish(request, status);
      });
}
