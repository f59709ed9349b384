/** Hex SHA-256 of a text: how refresh tokens, OAuth states, migrations and webhook bodies are keyed. */
export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher("sha256").update(text).digest("hex");
}
