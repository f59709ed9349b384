import { describe, expect, test } from "bun:test";
import { createApp } from "../../src/app.ts";
import { TAGS } from "../../src/http/docs.ts";
import { call } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

async function setup() {
  const { ctx } = await createTestContext();
  return createApp(ctx);
}

describe("OpenAPI document at /swagger/json", () => {
  test("is OpenAPI 3 with bearer auth declared and a tag per area", async () => {
    const { status, body } = await call(await setup(), "GET", "/swagger/json");
    expect(status).toBe(200);
    expect(body.openapi).toMatch(/^3\./);
    expect(body.info.title).toBe("Code of Clans API");
    expect(body.components.securitySchemes.bearer).toEqual({ type: "http", scheme: "bearer", bearerFormat: "JWT" });
    expect(body.tags.map((tag: { name: string }) => tag.name)).toEqual(TAGS.map((tag) => tag.name));
  });

  test("describes every route the app serves, each with a tag and response schemas", async () => {
    const app = await setup();
    const { body } = await call(app, "GET", "/swagger/json");
    const served = app.routes
      .filter((route) => !(route.hooks?.detail as { hide?: boolean } | undefined)?.hide)
      .map((route) => [route.method.toLowerCase(), route.path.replace(/:(\w+)/g, "{$1}")] as const);
    expect(served.length).toBeGreaterThan(0);
    const areas = new Set<string>(TAGS.map((tag) => tag.name));
    for (const [method, path] of served) {
      const operation = body.paths[path]?.[method];
      expect(operation, `${method.toUpperCase()} ${path} is missing from the document`).toBeDefined();
      expect(operation.tags?.length, `${method.toUpperCase()} ${path} has no tag`).toBeGreaterThan(0);
      for (const tag of operation.tags) expect(areas.has(tag)).toBe(true);
      const responses = Object.entries(operation.responses ?? {});
      expect(responses.length, `${method.toUpperCase()} ${path} documents no response`).toBeGreaterThan(0);
      for (const [code, response] of responses) {
        if (code === "204") continue; // No Content: nothing to describe.
        const content = (response as { content?: Record<string, { schema?: unknown }> }).content;
        expect(content && Object.values(content)[0]?.schema, `${method.toUpperCase()} ${path} ${code} has no schema`).toBeDefined();
      }
    }
  });

  test("documents the chat WebSocket in the chat tag (OpenAPI has no WebSockets), with the live rate limit", async () => {
    const { ctx } = await createTestContext({ env: { COC_CHAT_BURST: "7", COC_CHAT_PER_SECOND: "3" } });
    const { body } = await call(createApp(ctx), "GET", "/swagger/json");
    expect(body.paths["/ws/chat/"]).toBeUndefined();
    const chat = body.tags.find((tag: { name: string }) => tag.name === "chat").description as string;
    for (const frame of ["/ws/chat/", "?token=", "bearer", "history", "user_count", "chat_message", "error", "rate_limited", "authenticate"]) expect(chat).toContain(frame);
    expect(chat).toContain("a burst of 7, then 3 per second");
    expect(body.components.schemas.Problem.properties.code).toBeDefined();
  });

  test("documents /healthz", async () => {
    const { body } = await call(await setup(), "GET", "/swagger/json");
    expect(body.paths["/healthz"].get.tags).toEqual(["operations"]);
    expect(Object.keys(body.paths["/healthz"].get.responses)).toEqual(["200", "503", "4XX"]);
  });

  test("descriptions that name a configurable number quote the live configuration", async () => {
    const { ctx } = await createTestContext({ env: { COC_CHECKIN_REWARDS: "1,2,3", COC_STREAK_FREEZE_COST: "75", COC_STREAK_FREEZE_CAP: "4", COC_REFERRAL_DAILY_CAP: "6" } });
    const { body } = await call(createApp(ctx), "GET", "/swagger/json");
    expect(body.paths["/api/rewards/check-in/"].post.description).toContain("1, 2, 3; day 4 starts again at 1");
    expect(body.paths["/api/rewards/streak-freezes/"].post.description).toContain("Costs 75 XP; at most 4 held at once");
    expect(body.paths["/api/profiles/user/redeem-referral/"].post.description).toContain("at most 6 times in 24 hours");
  });
});

describe("Swagger UI at /swagger", () => {
  test("renders from this server alone: no external host anywhere on the page", async () => {
    const app = await setup();
    for (const path of ["/swagger", "/swagger/"]) {
      const page = await call(app, "GET", path);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.text).toContain("SwaggerUIBundle");
      expect(page.text).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
      const references = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
      expect(references.length).toBeGreaterThanOrEqual(2);
      for (const reference of references) {
        expect(reference.startsWith("/")).toBe(true);
        expect(reference.startsWith("//")).toBe(false);
        expect((await call(app, "GET", reference)).status).toBe(200);
      }
      // The document URL is absolute so that /swagger/ finds it too.
      expect(page.text).toContain('"url":"/swagger/json"');
    }
  });

  test("serves Swagger UI's own bundle and stylesheet with their types", async () => {
    const app = await setup();
    const js = await call(app, "GET", "/swagger/assets/swagger-ui-bundle.js");
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.text.length).toBeGreaterThan(500_000);
    const css = await call(app, "GET", "/swagger/assets/swagger-ui.css");
    expect(css.headers.get("content-type")).toContain("text/css");
    expect(css.text).toContain(".swagger-ui");
  });
});
