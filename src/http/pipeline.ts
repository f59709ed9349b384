import type { Elysia } from "elysia";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import { jsonBodies, type Uploads } from "./body.ts";
import { ownJsonText } from "./json-text.ts";
import { edgeHeaders } from "./edge-headers.ts";
import { problemResponse, toProblem } from "./problem.ts";
import { RequestLog, requestIdHeader } from "./request-log.ts";
import { allowedMethods } from "./routes-index.ts";

const JSON_TYPE = { "content-type": "application/json;charset=utf-8" };

/** Every failure as problem+json (see `toProblem`), with the request's id; internal ones logged. */
function problems(requests: RequestLog, log: Logger) {
  return (app: Elysia) => {
    const allow = allowedMethods(app);
    return app.onError(({ code, error, request, route }) => {
      const state = requests.of(request);
      const { pathname } = state;
      const problem = toProblem(error, code, { method: request.method, pathname, allow: () => allow(request.method, pathname) });
      if (problem.internal) log.error(problem.internal.message, { request_id: state.id, error: problem.internal.cause });
      const response = problemResponse(problem.error, state.id);
      requests.finish(request, response.status, route || undefined);
      return response;
    });
  };
}

/**
 * The HTTP edge every route shares, in the order it acts: the request id; CORS and security
 * headers; the body limit — in one hook as a request arrives (a hook each cost more than their
 * work) —; then JSON parsing; the access line as each answer is mapped (after its schema was
 * checked), and the text of answers that write their own JSON; and every failure mapped to problem+json.
 */
export function httpEdge(config: Pick<Config, "corsOrigins" | "publicUrl" | "maxBodyBytes" | "webCsp">, log: Logger, uploads: Uploads, metrics?: Metrics) {
  const requests = new RequestLog(log, metrics);
  const headers = edgeHeaders(config, requests);
  const bodies = jsonBodies(config.maxBodyBytes, requests, uploads);
  return (app: Elysia) =>
    app
      .onRequest(({ request, set }) => {
        const state = requests.of(request);
        return requestIdHeader(request, set.headers, state) ?? headers(request, set.headers, state) ?? bodies.declaredLength(request, set.headers, state);
      })
      .use(bodies.parse)
      .mapResponse(({ request, set, response, route }) => {
        const status = response instanceof Response ? response.status : typeof set.status === "number" ? set.status : 200;
        requests.finish(request, status, route);
        const text = ownJsonText(response);
        if (text !== null) return new Response(text, { status, headers: JSON_TYPE });
      })
      .use(problems(requests, log));
}
