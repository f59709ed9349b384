import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
// openapi-typescript 6: version 7 builds its output with the TypeScript 5 compiler API, which
// TypeScript 7 (ours) no longer ships.
import openapiTS from "openapi-typescript";
import { createApp } from "../../src/app.ts";
import { ROOT } from "../support/cli.ts";
import { call } from "../support/http.ts";
import { openApiShape } from "../support/openapi-shape.ts";
import { createTestContext } from "../support/test-context.ts";
import recorded from "./fixtures/openapi-shape.json" with { type: "json" };

async function document(env: Record<string, string> = {}) {
  const { ctx } = await createTestContext({ env });
  return (await call(createApp(ctx), "GET", "/swagger/json")).body as Record<string, any>;
}

function inTempDir<T>(work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "coc-openapi-"));
  return work(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

describe("the OpenAPI document", () => {
  test("still describes every operation, parameter, body member and answer member it described before the routes were restructured", async () => {
    type Shape = Record<string, { parameters: string[]; body: string[]; responses: Record<string, string[]> }>;
    const now = openApiShape(await document()) as Shape;
    // Recorded before the restructuring. Since then the document only grew (the original web
    // client's members and routes), except the chat socket, which moved into the chat tag.
    const before = structuredClone(recorded) as Shape;
    delete before["GET /ws/chat/"];
    for (const [operation, was] of Object.entries(before)) {
      const is = now[operation];
      expect(is, operation).toBeDefined();
      expect(is!.parameters).toEqual(expect.arrayContaining(was.parameters));
      expect(is!.body).toEqual(expect.arrayContaining(was.body));
      for (const [status, members] of Object.entries(was.responses)) expect([operation, status, is!.responses[status]]).toEqual([operation, status, expect.arrayContaining(members)]);
    }
  });

  test.each([["with COC_PUBLIC_URL and metrics", { COC_PUBLIC_URL: "https://clans.codeofclans.org", COC_METRICS_TOKEN: "metrics-token-0123456789" }], ["on its defaults", {}]])("passes @redocly/cli lint with its recommended rules, %s: 0 errors, 0 warnings", async (_, env) => {
    await inTempDir(async (dir) => {
      const spec = join(dir, "openapi.json");
      writeFileSync(spec, JSON.stringify(await document(env)));
      const lint = Bun.spawn([join(ROOT, "node_modules/.bin/redocly"), "lint", "--config", join(import.meta.dir, "redocly.yaml"), "--format=json", spec], {
        cwd: dir,
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
        stdout: "pipe",
        stderr: "pipe",
      });
      const [code, out] = await Promise.all([lint.exited, new Response(lint.stdout).text()]);
      const report = JSON.parse(out) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
      expect(code).toBe(0);
    });
  }, 30_000);

  test("a client generated from it by openapi-typescript type-checks, with the answers typed", async () => {
    await inTempDir(async (dir) => {
      writeFileSync(join(dir, "api.d.ts"), await openapiTS(await document() as never));
      writeFileSync(
        join(dir, "use.ts"),
        [
          'import type { components, paths } from "./api.d.ts";',
          'type Profile = paths["/api/profiles/user/"]["get"]["responses"][200]["content"]["application/json"];',
          'const streakDays = (profile: Profile): number => profile.streak.current + profile.xp;',
          'type Problem = components["schemas"]["Problem"];',
          'const code = (problem: Problem): string => problem.code;',
          'type CheckIn = paths["/api/rewards/check-in/"]["post"]["responses"][201]["content"]["application/json"];',
          'const day = (answer: CheckIn): number => answer.check_in.streak_day;',
          "export { code, day, streakDays };",
        ].join("\n"),
      );
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { strict: true, noEmit: true, module: "Preserve", moduleResolution: "bundler", target: "ESNext", allowImportingTsExtensions: true, types: [] }, files: ["use.ts"] }),
      );
      const tsc = Bun.spawn([join(ROOT, "node_modules/.bin/tsc"), "-p", dir], { cwd: dir, stdout: "pipe", stderr: "pipe" });
      const [code, out] = await Promise.all([tsc.exited, new Response(tsc.stdout).text()]);
      expect(out).toBe("");
      expect(code).toBe(0);
    });
  }, 30_000);
});
