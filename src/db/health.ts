import { AppError } from "../errors.ts";
import { type Store, statement } from "./store.ts";

const PING = statement<{ one: number }>({ sqlite: "SELECT 1 AS one", pg: "SELECT 1 AS one" });

/** Whether the database answers: what /healthz reports. */
export class DatabaseHealth {
  constructor(private readonly store: Store) {}

  /** Throws 503 `db_unavailable` when the database does not answer. */
  async check(): Promise<void> {
    try {
      await this.store.one(PING);
    } catch {
      throw new AppError("unavailable", "db_unavailable", "The database does not answer");
    }
  }
}
