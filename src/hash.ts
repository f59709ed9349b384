import { timingSafeEqual } from "node:crypto";

/** Hex SHA-256 of a text: how refresh tokens, OAuth states, migrations and webhook bodies are keyed. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}

/**
 * Whether a presented secret equals the expected one, in constant time whatever their lengths:
 * both are hashed first, and the digests compared with timingSafeEqual.
 */
export function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest() as Buffer;
  return timingSafeEqual(digest(presented), digest(expected));
}
