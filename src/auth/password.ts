import { timingSafeEqual } from "node:crypto";
/** argon2id cost; Bun's defaults (64 MiB, 2 passes) unless a test asks for a cheaper one. */
export interface PasswordCost {
  memoryCost?: number;
  timeCost?: number;
}

export const MIN_PASSWORD_LENGTH = 8;
/** argon2 hashes any length, but a megabyte "password" is only a way to burn CPU. */
export const MAX_PASSWORD_LENGTH = 1024;

/**
 * Hashes and checks passwords with Bun.password (argon2id). `verifyDummy` spends the same work
 * as a real check, so an unknown login costs what a wrong password costs.
 */
export class PasswordHasher {
  #dummy: Promise<string> | undefined;
  /** How many verifications ran (real and dummy); tests read it to prove equal work. */
  verifications = 0;

  constructor(private readonly cost: PasswordCost = {}) {}

  hash(password: string): Promise<string> {
    return Bun.password.hash(password, { algorithm: "argon2id", ...this.cost });
  }

  async verify(password: string, hash: string): Promise<boolean> {
    this.verifications += 1;
    if (hash.startsWith(`${DJANGO_PBKDF2}$`)) return verifyDjangoPbkdf2(password, hash);
    try {
      return await Bun.password.verify(password, hash, "argon2id");
    } catch {
      return false;
    }
  }

  /** Whether a hash that just verified should be replaced by one of ours (an imported PBKDF2 one). */
  needsRehash(hash: string): boolean {
    return !hash.startsWith("$argon2id$");
  }

  /** A verification against a throwaway hash of the same cost; always false. */
  async verifyDummy(password: string): Promise<false> {
    this.#dummy ??= this.hash(crypto.randomUUID());
    await this.verify(password, await this.#dummy);
    return false;
  }
}

/** The hasher of the original Django service (`pbkdf2_sha256$<iterations>$<salt>$<base64 hash>`), kept by `coc import-django`. */
export const DJANGO_PBKDF2 = "pbkdf2_sha256";

/** Iterations a Django hash may name: Django's own counts are 720,000–1,200,000; more is refused rather than run. */
const MAX_DJANGO_ITERATIONS = 5_000_000;

/**
 * Checks a password against a Django PBKDF2-HMAC-SHA256 hash: the iteration count read from the
 * string, the salt as its UTF-8 text, a 32-byte key compared in constant time.
 */
async function verifyDjangoPbkdf2(password: string, encoded: string): Promise<boolean> {
  const [, iterationsText, salt, expected] = encoded.split("$");
  const iterations = Number(iterationsText);
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_DJANGO_ITERATIONS || !salt || !expected) return false;
  const wanted = Buffer.from(expected, "base64");
  if (wanted.length !== 32) return false;
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveBits"]);
  const derived = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt: new TextEncoder().encode(salt), iterations }, key, 256));
  return timingSafeEqual(derived, wanted);
}
