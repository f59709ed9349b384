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
  /** Set once the access line is written: a request is logged once. */
  logged?: boolean;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Requests in flight: each one's id (a well-formed incoming X-Request-Id is kept) and start, and
 * the access log line written when it is answered. Shared by the edge's plugins.
 */
export class RequestLog {
  readonly #states = new WeakMap<Request, RequestState>();
  /** Ids are this process's random prefix and a counter: unique, and far cheaper than a UUID per request. */
  readonly #prefix = `${Buffer.from(crypto.getRandomValues(new Uint8Array(6))).toString("base64url")}-`;
  #counter = 0;

  constructor(private readonly log: Logger) {}

  /** The request's state, made on first sight. */
  of(request: Request): RequestState {
    let state = this.#states.get(request);
    if (!state) {
      const incoming = request.headers.get("x-request-id");
      state = {
        id: incoming && REQUEST_ID.test(incoming) ? incoming : this.#prefix + (++this.#counter).toString(36),
        startedAt: performance.now(),
      };
      this.#states.set(request, state);
    }
    return state;
  }

  /** Writes the request's access log line (an error line for a 5xx), once. */
  finish(request: Request, status: number): void {
    const state = this.of(request);
    if (state.logged) return;
    state.logged = true;
    if (!this.log.enabled(status >= 500 ? "error" : "info")) return;
    const url = pathAndQuery(request.url);
    this.log.access({
      request_id: state.id,
      method: request.method,
      path: url.search === "" ? url.pathname : redactUrl(url.pathname + url.search),
      status,
      duration_ms: Math.round((performance.now() - state.startedAt) * 100) / 100,
    });
  }

  /** An answer given by the edge itself, before any route: logged here. */
  answerEarly(request: Request, response: Response): Response {
    this.finish(request, response.status);
    return response;
  }
}

/**
 * Request ids on every answer, and one access log line per request: written as the answer is
 * mapped (after its schema was checked), or by the problem mapping for failures — synchronously,
 * not in a task scheduled after each response.
 */
export function requestIds(requests: RequestLog) {
  return (app: Elysia) =>
    app
      .onRequest(({ request, set }) => {
        set.headers["x-request-id"] = requests.of(request).id;
      })
      .mapResponse(({ request, set, response }) => {
        requests.finish(request, response instanceof Response ? response.status : typeof set.status === "number" ? set.status : 200);
      });
}
