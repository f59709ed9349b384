import type { Database } from "bun:sqlite";
import { sha256Hex } from "../hash.ts";
import { postgresMigrations, sqliteMigrations } from "./migrations.gen.ts";

/** One migration as drizzle-kit wrote it; `hash` is drizzle's (sha256 of the file). */
export interface Migration {
  tag: string;
  /** drizzle-kit's `when`: the order key stored as `created_at`. */
  when: number;
  hash: string;
  statements: string[];
}

export interface MigrationResult {
  applied: string[];
  /** Tag of the newest migration in the database after the run, or null for an empty list. */
  current: string | null;
}

/** The table and row format of drizzle's own migrator, so `drizzle-kit migrate` agrees with us. */
const TABLE = "__drizzle_migrations";

/** The migrations compiled into this program for `engine`, oldest first. */
export function embeddedMigrations(engine: "sqlite" | "postgres" = "sqlite"): Migration[] {
  const { journal, sql } = engine === "sqlite" ? sqliteMigrations : postgresMigrations;
  return journal.entries.map((entry) => {
    const text = sql[entry.tag];
    if (text === undefined) throw new Error(`migration ${entry.tag} is in the journal but not embedded`);
    return {
      tag: entry.tag,
      when: entry.when,
      hash: sha256Hex(text),
      statements: text.split("--> statement-breakpoint").filter((statement) => statement.trim() !== ""),
    };
  });
}

export class MigrationError extends Error {
  override name = "MigrationError";
}

/**
 * Brings the database up to the newest migration, in place, keeping every row.
 *
 * All pending migrations run in one `BEGIN IMMEDIATE` transaction, so a failure leaves the file
 * as it was and two processes starting at once apply them once. Foreign keys are switched off
 * around it (SQLite ignores that PRAGMA inside a transaction) because drizzle-kit rebuilds a table
 * by copy-drop-rename, and a DROP under foreign keys would cascade into child rows; integrity is
 * checked with `foreign_key_check` before the commit instead. A database written by a newer
 * version is refused rather than guessed at.
 */
export function migrate(sqlite: Database, migrations: Migration[] = embeddedMigrations()): MigrationResult {
  sqlite.run("PRAGMA foreign_keys = OFF");
  try {
    sqlite.run("BEGIN IMMEDIATE");
    try {
      sqlite.run(`CREATE TABLE IF NOT EXISTS ${TABLE} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`);
      const last = sqlite
        .query<{ created_at: number }, []>(`SELECT created_at FROM ${TABLE} ORDER BY created_at DESC LIMIT 1`)
        .get();
      const lastWhen = last ? Number(last.created_at) : Number.NEGATIVE_INFINITY;
      const newest = migrations.at(-1);
      if (newest && lastWhen > newest.when) {
        throw new MigrationError(
          "the database was upgraded by a newer version of coc; run that version (or restore a backup)",
        );
      }
      const pending = migrations.filter((migration) => migration.when > lastWhen);
      const record = sqlite.prepare(`INSERT INTO ${TABLE} (hash, created_at) VALUES (?, ?)`);
      for (const migration of pending) {
        for (const statement of migration.statements) sqlite.run(statement);
        record.run(migration.hash, migration.when);
      }
      // Only a migration can break a reference here; the check reads the whole file, so a start
      // with nothing to apply skips it (a 60 MB community: ~40 MB of pages read and kept cached).
      const broken = pending.length > 0 ? sqlite.query("PRAGMA foreign_key_check").all() : [];
      if (broken.length > 0) {
        throw new MigrationError(`migration would break ${broken.length} foreign key reference(s); nothing was changed`);
      }
      sqlite.run("COMMIT");
      const current = migrations.filter((migration) => migration.when <= Math.max(lastWhen, newest?.when ?? lastWhen)).at(-1);
      return { applied: pending.map((migration) => migration.tag), current: current?.tag ?? null };
    } catch (error) {
      if (sqlite.inTransaction) sqlite.run("ROLLBACK");
      throw error;
    }
  } finally {
    sqlite.run("PRAGMA foreign_keys = ON");
  }
}
