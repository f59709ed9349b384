/**
 * The setting of the original client's tests: `coc` as a real server on one origin (the web app,
 * the API and the chat together, as `coc serve --web` gives them), its data folder in a temp dir
 * (uploads go there), and the original client pointed at it.
 */
import { afterEach } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.ts";
import type { ContextOverrides } from "../../src/context.ts";
import { FakeClock } from "../support/fake-clock.ts";
import { startTestServer } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";
import { OriginalClient } from "./client.ts";

const cleanups: (() => Promise<void> | void)[] = [];

/**
 * Call once at the top of each test file: registers, for that file, the clean-up after each test
 * (a hook in this shared module would be registered for the first file that imports it only).
 */
export function cleanUpAfterEach(): void {
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
}

/** Runs `cleanup` after the current test. */
export function afterThisTest(cleanup: () => Promise<void> | void): void {
  cleanups.push(cleanup);
}

export async function originalSetup(options: { env?: Record<string, string>; overrides?: ContextOverrides; clock?: FakeClock } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "coc-original-"));
  afterThisTest(() => rmSync(dataDir, { recursive: true, force: true }));
  const clock = options.clock ?? new FakeClock("2026-03-01T12:00:00Z");
  const test = await createTestContext({ clock, overrides: options.overrides, env: { COC_DATA_DIR: dataDir, COC_REGISTRATIONS_PER_ADDRESS: "1000/1h", ...options.env } });
  const server = await startTestServer(test.ctx, createApp(test.ctx));
  afterThisTest(() => server.stop());
  /** A browser tab of the original app. */
  const browser = () => new OriginalClient(server.base);
  /** A new account, signed in in a fresh tab (through the app's login page). */
  const signUp = async (username: string, password = "correct horse battery") => {
    const tab = browser();
    const registered = await tab.call("POST", "/api/auth/register/", { username, email: `${username}@example.com`, password });
    if (registered.status !== 201) throw new Error(`register ${username}: ${registered.status} ${JSON.stringify(registered.data)}`);
    tab.signedIn(registered.data);
    return Object.assign(tab, { userId: registered.data.user.id as number });
  };
  return { ...test, clock, server, dataDir, browser, signUp };
}
