import type { Elysia } from "elysia";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { jsonBodies, type Uploads } from "./body.ts";
import { edgeHeaders } from "./edge-headers.ts";
import { problemResponse, toProblem } from "./problem.ts";
import { pathAndQuery, RequestLog, requestIds } from "./request-log.ts";
import { allowedMethods } from "./routes-index.ts";

/** Every failure as problem+json (see `toProblem`), with the request's id; internal ones logged. */
function problems(requests: RequestLog, log: Logger) {
  return (app: Elysia) => {
    const allow = allowedMethods(app);
    return app.onError(({ code, error, request }) => {
      const state = requests.of(request);
      const { pathname } = pathAndQuery(request.url);
      const problem = toProblem(error, code, { method: request.method, pathname, allow: () => allow(request.method, pathname) });
      if (problem.internal) log.error(problem.internal.message, { request_id: state.id, error: problem.internal.cause });
      const response = problemResponse(problem.error, state.id);
      requests.finish(request, response.status);
      return response;
    });
  };
}

/**
 * The HTTP edge every route shares, in the order it acts: request ids and the access log; CORS and
 * security headers; the body limit and JSON parsing; every failure mapped to problem+json.
 */
export function httpEdge(config: Pick<Config, "corsOrigins" | "publicUrl" | "maxBodyBytes" | "webCsp">, log: Logger, uploads: Uploads) {
  const requests = new RequestLog(log);
  return (app: Elysia) =>
    app.use(requestIds(requests)).use(edgeHeaders(config, requests)).use(jsonBodies(config.maxBodyBytes, requests, uploads)).use(problems(requests, log));
}
