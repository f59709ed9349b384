import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const JWT_SECRET_FILE = "jwt-secret";

/** Creates the data dir (mode 0700) if it is missing. */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
}

/**
 * The JWT signing secret: the configured one, else the one generated into the data dir on first
 * run (48 random bytes, file mode 0600) and reused on every later start, so tokens survive
 * restarts. Two processes starting at once agree: the file is created exclusively and a loser
 * reads the winner's secret.
 */
export function resolveJwtSecret(configured: string | null, dataDir: string): string {
  if (configured !== null) return configured;
  ensureDataDir(dataDir);
  const path = join(dataDir, JWT_SECRET_FILE);
  try {
    writeFileSync(path, Buffer.from(crypto.getRandomValues(new Uint8Array(48))).toString("base64url"), {
      mode: 0o600,
      flag: "wx",
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  // A secret readable by others is no secret: tighten a file someone copied in loosely.
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  const secret = readFileSync(path, "utf8").trim();
  if (secret.length < 32) throw new Error(`${path} holds a secret shorter than 32 characters; remove it to regenerate`);
  return secret;
}
