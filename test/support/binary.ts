import { join } from "node:path";
import { ROOT } from "./cli.ts";

let built: Promise<string> | undefined;

/**
 * dist/coc, built once per test run (`bun run build`) however many test files need the compiled
 * binary: they share one process, so one promise.
 */
export function builtBinary(): Promise<string> {
  built ??= (async () => {
    const build = Bun.spawn(["bun", "run", "build"], { cwd: ROOT, stdout: "pipe", stderr: "pipe" });
    if ((await build.exited) !== 0) throw new Error(`bun run build failed: ${await new Response(build.stderr).text()}`);
    return join(ROOT, "dist/coc");
  })();
  return built;
}
