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
    try {
      return await Bun.password.verify(password, hash, "argon2id");
    } catch {
      return false;
    }
  }

  /** A verification against a throwaway hash of the same cost; always false. */
  async verifyDummy(password: string): Promise<false> {
    this.#dummy ??= this.hash(crypto.randomUUID());
    await this.verify(password, await this.#dummy);
    return false;
  }
}
