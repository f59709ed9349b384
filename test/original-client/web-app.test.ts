import { describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_WEB_CSP, loadConfig } from "../../src/config.ts";
import { CLI_ENTRY, LogReader } from "../support/cli.ts";
import { TEST_JWT_SECRET } from "../support/test-context.ts";
import { afterThisTest, cleanUpAfterEach, originalSetup } from "./support.ts";

cleanUpAfterEach();

const FIXTURE = join(import.meta.dir, "../fixtures/spa");
const SECRET = "a file outside the web root that must never be served";

/** The fixture SPA, copied into a temp folder beside a secret file, with a symbolic link that leads out. */
function webRoot(): string {
  const dir = mkdtempSync(join(tmpdir(), "coc-web-"));
  afterThisTest(() => rmSync(dir, { recursive: true, force: true }));
  cpSync(FIXTURE, join(dir, "dist"), { recursive: true });
  writeFileSync(join(dir, "secret.txt"), SECRET);
  symlinkSync(join(dir, "secret.txt"), join(dir, "dist", "assets", "leak-Ab12Cd34.txt"));
  return join(dir, "dist");
}

async function serving(env: Record<string, string> = {}) {
  const s = await originalSetup({ env: { COC_WEB_ROOT: webRoot(), ...env } });
  const get = (path: string, method = "GET") => fetch(`${s.server.base}${path}`, { method });
  return { ...s, get };
}

describe("coc serves the original web app (COC_WEB_ROOT)", () => {
  test("index.html at / and at every client-side route, never cached, with the web app's CSP and no opener isolation", async () => {
    const s = await serving();
    for (const path of ["/", "/login", "/auth/github/callback?code=abc", "/profile/ada"]) {
      const page = await s.get(path);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toContain("text/html");
      expect(page.headers.get("cache-control")).toBe("no-store");
      expect(page.headers.get("content-security-policy")).toBe(DEFAULT_WEB_CSP);
      // The OAuth popup posts its result to its opener: no Cross-Origin-Opener-Policy: same-origin.
      expect(page.headers.get("cross-origin-opener-policy")).toBeNull();
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await page.text()).toContain('<div id="root"></div>');
    }
  });

  test("files with their types: hashed assets cached for a year, others revalidated; HEAD too", async () => {
    const s = await serving();
    const script = await s.get("/assets/index-Bx7Kp2Qa.js");
    expect([script.status, script.headers.get("cache-control")]).toEqual([200, "public, max-age=31536000, immutable"]);
    expect(script.headers.get("content-type")).toContain("javascript");
    const style = await s.get("/assets/index-D4mN8rTy.css");
    expect(style.headers.get("content-type")).toContain("text/css");
    const robots = await s.get("/robots.txt");
    expect([robots.status, robots.headers.get("cache-control")]).toEqual([200, "no-cache"]);
    const head = await s.get("/", "HEAD");
    expect([head.status, await head.text()]).toEqual([200, ""]);
  });

  test("a file that is not there is a 404, not the page: a missing script must not come back as HTML", async () => {
    const s = await serving();
    const missing = await s.get("/assets/index-Zz99Yy88.js");
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("application/problem+json");
  });

  test("nothing outside the folder is reachable: dot segments, encoded ones, backslashes, a symbolic link that leads out", async () => {
    const s = await serving();
    for (const path of ["/../secret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt", "/..%5csecret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/leak-Ab12Cd34.txt", "/%00/secret.txt"]) {
      const answer = await s.get(path);
      expect([path, answer.status === 200 ? await answer.text() : answer.status]).not.toEqual([path, SECRET]);
      if (answer.status === 200) expect(await (await s.get(path)).text()).toContain('<div id="root">');
    }
  });

  test("the API, the docs, media and health keep their own answers beside it", async () => {
    const s = await serving();
    const postOnly = await s.get("/api/rewards/streak-freezes/");
    expect([postOnly.status, postOnly.headers.get("allow")]).toEqual([405, "POST"]);
    const unknown = await s.get("/api/no-such-thing/");
    expect([unknown.status, unknown.headers.get("content-type")]).toEqual([404, "application/problem+json"]);
    expect((await s.get("/healthz")).headers.get("cache-control")).toBe("no-store");
    expect((await s.get("/swagger")).status).toBe(200);
    expect((await s.get("/media/avatars/00000000000000000000000000000000.png")).status).toBe(404);
  });

  test("COC_WEB_CSP replaces the pages' policy; a folder without index.html is refused at start", async () => {
    const s = await serving({ COC_WEB_CSP: "default-src 'self'" });
    expect((await s.get("/")).headers.get("content-security-policy")).toBe("default-src 'self'");
    const empty = mkdtempSync(join(tmpdir(), "coc-web-empty-"));
    afterThisTest(() => rmSync(empty, { recursive: true, force: true }));
    expect(() => loadConfig({ COC_WEB_ROOT: empty })).toThrow("COC_WEB_ROOT: expected a folder with an index.html");
  });

  test("`coc serve --web <folder>` serves it, as README says", async () => {
    const dir = mkdtempSync(join(tmpdir(), "coc-web-serve-"));
    afterThisTest(() => rmSync(dir, { recursive: true, force: true }));
    const child = Bun.spawn(["bun", CLI_ENTRY, "serve", "--web", webRoot(), "--port", "0", "--host", "127.0.0.1", "--data-dir", dir], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: dir, COC_JWT_SECRET: TEST_JWT_SECRET },
      stdout: "pipe",
      stderr: "inherit",
    });
    afterThisTest(async () => {
      child.kill("SIGTERM");
      await child.exited;
    });
    const { url } = await new LogReader(child.stdout).waitFor((line) => line.msg === "listening");
    expect(await (await fetch(new URL("/auth/google/callback", url))).text()).toContain('<div id="root"></div>');
  });
});
