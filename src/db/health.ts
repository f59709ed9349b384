import type { Database } from "bun:sqlite";
import { AppError } from "../errors.ts";

/** Whether the database answers: what /healthz reports. */
export class DatabaseHealth {
  readonly #ping;

  constructor(sqlite: Database) {
    this.#ping = sqlite.query("SELECT 1");
  }

  /** Throws 503 `db_unavailable` when the database does not answer. */
  check(): void {
    try {
      this.#ping.get();
    } catch {
      throw new AppError("unavailable", "db_unavailable", "The database does not answer");
    }
  }
}
