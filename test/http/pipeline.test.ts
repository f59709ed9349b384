import { describe, expect, test } from "bun:test";
import { t } from "elysia";
import { createApp } from "../../src/app.ts";
import { AppError } from "../../src/errors.ts";
import { writtenAs } from "../../src/http/json-text.ts";
import { call, settled } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

async function setup(env: Record<string, string> = {}) {
  const test = await createTestContext({ env });
  const app = createApp(test.ctx)
    .post("/test/echo/", ({ body }) => ({ got: body }), {
      body: t.Object({ name: t.String({ minLength: 1 }), n: t.Integer({ minimum: 0 }) }, { additionalProperties: false }),
    })
    .get("/test/items/:id/", ({ params }) => ({ id: params.id }))
    .delete("/test/items/:id/", () => ({ deleted: true }))
    .get("/test/conflict/", () => {
      throw new AppError("conflict", "already_checked_in", "Already checked in today");
    })
    .get("/test/limited/", () => {
      throw new AppError("rate_limited", "rate_limited", "Slow down", { retryAfterSeconds: 2.2 });
    })
    .get("/test/leaky/", () => ({ id: 1, password_hash: "$argon2id$secret" }) as { id: number }, {
      response: { 200: t.Object({ id: t.Integer() }) },
    })
    .get("/test/leaky-written/", () => writtenAs({ id: 1, password_hash: "$argon2id$secret" }, () => '{"id":1,"password_hash":"$argon2id$secret"}') as { id: number }, {
      response: { 200: t.Object({ id: t.Integer() }) },
    })
    .get("/test/written/", ({ set }) => {
      set.status = 202;
      return writtenAs({ table: { 1: 5, 2: 10 } }, () => '{"table":{"1":5,"2":10}}');
    }, { response: { 202: t.Object({ table: t.Record(t.String(), t.Integer()) }) } })
    .get("/test/boom/", () => {
      throw new Error("connect failed: password=hunter2 at /srv/secret/path.ts:12");
    });
  return { ...test, app };
}

function expectProblem(result: { status: number; headers: Headers; body: any }, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.headers.get("content-type")).toBe("application/problem+json");
  expect(result.body).toMatchObject({ type: "about:blank", status, code });
  expect(typeof result.body.title).toBe("string");
  expect(typeof result.body.detail).toBe("string");
  expect(result.body.request_id).toBe(result.headers.get("x-request-id"));
}

describe("every failure is problem+json", () => {
  test.each([
    ["GET", "/no/such/route/", 404, "not_found"],
    ["GET", "/api/", 404, "not_found"],
    ["POST", "/healthz", 405, "method_not_allowed"],
    ["PUT", "/test/items/7/", 405, "method_not_allowed"],
    ["GET", "/test/conflict/", 409, "already_checked_in"],
  ])("%s %s → %d %s", async (method, path, status, code) => {
    const { app } = await setup();
    expectProblem(await call(app, method, path), status, code);
  });

  test("a wrong method lists the methods that do answer in Allow", async () => {
    const { app } = await setup();
    const result = await call(app, "PATCH", "/test/items/7/");
    expect(result.headers.get("allow")).toBe("DELETE, GET");
    expect((await call(app, "POST", "/healthz")).headers.get("allow")).toBe("GET");
  });

  test("malformed JSON → 400 malformed_json", async () => {
    const { app } = await setup();
    const result = await call(app, "POST", "/test/echo/", { body: '{"name": "x",', headers: { "content-type": "application/json" } });
    expectProblem(result, 400, "malformed_json");
  });

  test("schema violations → 400 validation_failed with a pointer per field", async () => {
    const { app } = await setup();
    const result = await call(app, "POST", "/test/echo/", { json: { name: "", n: -1, extra: true } });
    expectProblem(result, 400, "validation_failed");
    const paths = (result.body.errors as { path: string; message: string }[]).map((error) => error.path);
    expect(paths).toContain("/name");
    expect(paths).toContain("/n");
    for (const error of result.body.errors) expect(typeof error.message).toBe("string");
  });

  test("a missing body on a route that needs one → 400 validation_failed", async () => {
    const { app } = await setup();
    expectProblem(await call(app, "POST", "/test/echo/", { headers: { "content-type": "application/json" } }), 400, "validation_failed");
  });

  test("a body that is not JSON → 415", async () => {
    const { app } = await setup();
    const result = await call(app, "POST", "/test/echo/", { body: "name=x&n=1", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expectProblem(result, 415, "unsupported_media_type");
  });

  test("a valid body gets through, +json media types included", async () => {
    const { app } = await setup();
    expect((await call(app, "POST", "/test/echo/", { json: { name: "ada", n: 3 } })).body).toEqual({ got: { name: "ada", n: 3 } });
    const vendor = await call(app, "POST", "/test/echo/", {
      body: JSON.stringify({ name: "ada", n: 3 }),
      headers: { "content-type": "application/vnd.coc+json; charset=utf-8" },
    });
    expect(vendor.status).toBe(200);
  });

  test("a body over 1 MiB → 413, whether declared by Content-Length or streamed", async () => {
    const { app } = await setup();
    const big = JSON.stringify({ name: "x".repeat(1024 * 1024), n: 1 });
    expectProblem(await call(app, "POST", "/test/echo/", { json: JSON.parse(big) }), 413, "payload_too_large");

    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        sent += chunk.byteLength;
        if (sent > 8 * 1024 * 1024) controller.close();
        else controller.enqueue(chunk);
      },
    });
    const response = await app.handle(
      new Request("http://localhost/test/echo/", { method: "POST", body: stream, headers: { "content-type": "application/json" } }),
    );
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    // It stopped reading soon after the limit instead of swallowing all 8 MiB.
    expect(sent).toBeLessThan(2 * 1024 * 1024);
  });

  test("a body of exactly 1 MiB is accepted", async () => {
    const { app } = await setup();
    const padding = 1024 * 1024 - JSON.stringify({ name: "", n: 1 }).length;
    const body = JSON.stringify({ name: "y".repeat(padding), n: 1 });
    expect(new TextEncoder().encode(body).byteLength).toBe(1024 * 1024);
    expect((await call(app, "POST", "/test/echo/", { body, headers: { "content-type": "application/json" } })).status).toBe(200);
  });

  test("Retry-After accompanies 429", async () => {
    const { app } = await setup();
    const result = await call(app, "GET", "/test/limited/");
    expectProblem(result, 429, "rate_limited");
    expect(result.headers.get("retry-after")).toBe("3");
  });

  test("an unexpected error → 500 with no internals, logged with its request id", async () => {
    const { app, logs } = await setup();
    const result = await call(app, "GET", "/test/boom/");
    expectProblem(result, 500, "internal_error");
    expect(result.text).not.toContain("hunter2");
    expect(result.text).not.toContain("/srv/secret");
    expect(result.text).not.toContain("at ");
    await settled();
    const logged = logs.find((line) => line.msg === "unhandled error");
    expect(logged?.request_id).toBe(result.body.request_id);
  });

  test("an answer that breaks its own schema is a 500, never sent as is", async () => {
    const { app, logs } = await setup();
    const result = await call(app, "GET", "/test/leaky/");
    expectProblem(result, 500, "internal_error");
    expect(result.text).not.toContain("argon2id");
    await settled();
    expect(logs.some((line) => line.msg === "answer does not match its schema")).toBe(true);
  });
});

describe("answers that write their own JSON text", () => {
  test("are sent as their text, with their status and every edge header", async () => {
    const { app } = await setup();
    const result = await call(app, "GET", "/test/written/");
    expect(result.status).toBe(202);
    expect(result.text).toBe('{"table":{"1":5,"2":10}}');
    expect(result.headers.get("content-type")).toStartWith("application/json");
    expect(result.headers.get("x-request-id")).toBeTruthy();
    expect(result.headers.get("x-content-type-options")).toBe("nosniff");
  });

  test("are still checked against their schema first: a breaking one is a 500, its text never sent", async () => {
    const { app, logs } = await setup();
    const result = await call(app, "GET", "/test/leaky-written/");
    expectProblem(result, 500, "internal_error");
    expect(result.text).not.toContain("argon2id");
    await settled();
    expect(logs.some((line) => line.msg === "answer does not match its schema")).toBe(true);
  });
});

describe("routing behind a proxy", () => {
  test("short host names (Host: api, coc:8000, x) reach their routes", async () => {
    const { app } = await setup();
    for (const url of ["http://x/healthz", "http://api/healthz", "http://coc:8000/healthz", "http://web/test/items/7/?a=b"]) {
      const response = await app.handle(new Request(url));
      expect([url, response.status]).toEqual([url, 200]);
    }
    const post = await app.handle(
      new Request("http://coc/test/echo/", { method: "POST", body: JSON.stringify({ name: "ada", n: 1 }), headers: { "content-type": "application/json" } }),
    );
    expect(await post.json()).toEqual({ got: { name: "ada", n: 1 } });
  });
});

describe("request ids and the access log", () => {
  test("every answer carries a request id, and the access log line has the same one", async () => {
    const { app, logs } = await setup();
    const ok = await call(app, "GET", "/healthz");
    const missing = await call(app, "GET", "/nope");
    await settled();
    for (const result of [ok, missing]) {
      const id = result.headers.get("x-request-id");
      expect(id).toMatch(/^[A-Za-z0-9_-]{8}-[0-9a-z]+$/);
      const line = logs.find((entry) => entry.msg === "request" && entry.request_id === id);
      expect(line).toMatchObject({ level: "info", method: "GET", status: result.status });
      expect(typeof line?.duration_ms).toBe("number");
    }
    expect(ok.headers.get("x-request-id")).not.toBe(missing.headers.get("x-request-id"));
  });

  test("a well-formed incoming X-Request-Id is kept; a hostile one is replaced", async () => {
    const { app } = await setup();
    expect((await call(app, "GET", "/healthz", { headers: { "x-request-id": "lb-1234.abc" } })).headers.get("x-request-id")).toBe("lb-1234.abc");
    const hostile = await call(app, "GET", "/healthz", { headers: { "x-request-id": '"}, {"level": "error"' } });
    expect(hostile.headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{8}-[0-9a-z]+$/);
  });

  test("tokens and secrets never reach the log: query values and secret fields are redacted", async () => {
    const { app, rawLogs } = await setup();
    await call(app, "GET", "/ws/chat/?token=eyJhbGciOiJIUzI1NiJ9.secret-token&limit=5", { token: "bearer-secret-token" });
    await call(app, "POST", "/test/echo/", { json: { name: "password-in-body", n: 1 }, token: "bearer-secret-token" });
    await call(app, "GET", "/test/boom/");
    await settled();
    const all = rawLogs.join("");
    expect(all).toContain("/ws/chat/?token=[redacted]&limit=[redacted]");
    for (const secret of ["secret-token", "bearer-secret-token", "password-in-body", "eyJhbGciOiJIUzI1NiJ9"]) {
      expect(all).not.toContain(secret);
    }
  });

  test("5xx answers are logged at error level", async () => {
    const { app, logs } = await setup();
    await call(app, "GET", "/test/boom/");
    await settled();
    expect(logs.find((line) => line.msg === "request")?.level).toBe("error");
  });
});

describe("security headers", () => {
  test("API answers forbid sniffing, framing and referrers", async () => {
    const { app } = await setup();
    for (const path of ["/healthz", "/api/nope"]) {
      const { headers } = await call(app, "GET", path);
      expect(headers.get("x-content-type-options")).toBe("nosniff");
      expect(headers.get("x-frame-options")).toBe("DENY");
      expect(headers.get("referrer-policy")).toBe("no-referrer");
      expect(headers.get("content-security-policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    }
  });

  test("the docs page may run its own scripts, and only from this server", async () => {
    const { app } = await setup();
    const csp = (await call(app, "GET", "/swagger")).headers.get("content-security-policy")!;
    expect(csp).toContain("script-src 'self' 'unsafe-inline'");
    expect(csp).not.toMatch(/https?:/);
  });
});

describe("CORS", () => {
  const env = { COC_CORS_ORIGINS: "https://app.example.com,http://localhost:5173" };

  test("an allowed origin is echoed back, with Vary: Origin", async () => {
    const { app } = await setup(env);
    const { headers } = await call(app, "GET", "/healthz", { headers: { origin: "http://localhost:5173" } });
    expect(headers.get("access-control-allow-origin")).toBe("http://localhost:5173");
    expect(headers.get("vary")).toBe("Origin");
    expect(headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  test("another origin gets no CORS headers", async () => {
    const { app } = await setup(env);
    const { status, headers } = await call(app, "GET", "/healthz", { headers: { origin: "https://evil.example" } });
    expect(status).toBe(200);
    expect(headers.get("access-control-allow-origin")).toBeNull();
  });

  test("a preflight from an allowed origin → 204 with methods and headers", async () => {
    const { app } = await setup(env);
    const result = await call(app, "OPTIONS", "/api/rewards/check-in/", {
      headers: { origin: "https://app.example.com", "access-control-request-method": "POST", "access-control-request-headers": "authorization, content-type" },
    });
    expect(result.status).toBe(204);
    expect(result.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(result.headers.get("access-control-allow-methods")).toContain("POST");
    expect(result.headers.get("access-control-allow-headers")).toContain("authorization");
    expect(result.headers.get("access-control-max-age")).toBe("600");
  });

  test("a preflight from another origin → 403 problem", async () => {
    const { app } = await setup(env);
    const result = await call(app, "OPTIONS", "/healthz", {
      headers: { origin: "https://evil.example", "access-control-request-method": "GET" },
    });
    expectProblem(result, 403, "cors_origin_not_allowed");
  });

  test("with no origins configured, no origin is allowed", async () => {
    const { app } = await setup();
    const { headers } = await call(app, "GET", "/healthz", { headers: { origin: "https://app.example.com" } });
    expect(headers.get("access-control-allow-origin")).toBeNull();
  });
});
