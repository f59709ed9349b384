// The suite runs Elysia the way `coc` runs it (cli/production.ts): in production mode.
process.env.NODE_ENV = "production";

import { afterEach, beforeEach } from "bun:test";
import { aroundEachTest } from "./test-context.ts";

// Every test's contexts are closed after it (a Postgres connection pool each, on that engine).
beforeEach(() => aroundEachTest("before"));
afterEach(() => aroundEachTest("after"));
