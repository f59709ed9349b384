import { describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { JWT_SECRET_FILE, resolveJwtSecret } from "../src/secrets.ts";
import { useTempDirs } from "./support/temp.ts";

const tempDir = useTempDirs("coc-secrets-");

describe("resolveJwtSecret", () => {
  test("a configured secret is used as is and nothing is written", () => {
    const dir = join(tempDir(), "data");
    expect(resolveJwtSecret("c".repeat(40), dir)).toBe("c".repeat(40));
    expect(() => statSync(dir)).toThrow();
  });

  test("without one, a secret is generated once into the data dir, mode 0600, and reused", () => {
    const dir = join(tempDir(), "nested", "data");
    const first = resolveJwtSecret(null, dir);
    expect(first.length).toBeGreaterThanOrEqual(60);
    const file = join(dir, JWT_SECRET_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readFileSync(file, "utf8")).toBe(first);
    expect(resolveJwtSecret(null, dir)).toBe(first);
    expect(resolveJwtSecret(null, tempDir())).not.toBe(first);
  });

  test("a secret file readable by others is tightened to 0600", () => {
    const dir = tempDir();
    const file = join(dir, JWT_SECRET_FILE);
    writeFileSync(file, "k".repeat(48));
    chmodSync(file, 0o644);
    expect(resolveJwtSecret(null, dir)).toBe("k".repeat(48));
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  test("a truncated secret file is refused rather than used", () => {
    const dir = tempDir();
    writeFileSync(join(dir, JWT_SECRET_FILE), "short", { mode: 0o600 });
    expect(() => resolveJwtSecret(null, dir)).toThrow(/shorter than 32/);
  });
});
