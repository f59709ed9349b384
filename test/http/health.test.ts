import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { VERSION } from "../../src/version.ts";
import { call } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

describe("GET /healthz", () => {
  test("answers ok with the database and the version", async () => {
    const { ctx } = await createTestContext();
    const result = await call(createApp(ctx), "GET", "/healthz");
    expect(result.status).toBe(200);
    expect(result.body).toEqual({ status: "ok", db: "ok", version: VERSION });
    expect(result.headers.get("content-type")).toContain("application/json");
  });

  test("answers 503 problem+json when the database is gone", async () => {
    const { ctx } = await createTestContext();
    const app = createApp(ctx);
    await ctx.close();
    const result = await call(app, "GET", "/healthz");
    expect(result.status).toBe(503);
    expect(result.body).toMatchObject({ status: 503, code: "db_unavailable" });
  });
});
