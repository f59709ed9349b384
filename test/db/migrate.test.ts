import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate as drizzleMigrate } from "drizzle-orm/bun-sqlite/migrator";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { renderMigrationsModule } from "../../scripts/embed-migrations.ts";
import { openDatabase } from "../../src/db/client.ts";
import { embeddedMigrations, type Migration, MigrationError, migrate } from "../../src/db/migrate.ts";
import { useTempDirs } from "../support/temp.ts";

const root = join(import.meta.dir, "../..");
const tempDir = useTempDirs("coc-migrate-");
function tempFile(name = "coc.db"): string {
  return join(tempDir(), name);
}

function schemaOf(sqlite: Database): string[] {
  return sqlite
    .query<{ sql: string }, []>("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all()
    .map((row) => row.sql.replace(/\s+/g, " "));
}

function appliedCount(sqlite: Database): number {
  return sqlite.query<{ n: number }, []>("SELECT count(*) AS n FROM __drizzle_migrations").get()!.n;
}

const now = Date.UTC(2026, 0, 1);
function insertUser(sqlite: Database, username: string): number {
  sqlite.run("INSERT INTO users (username, created_at, updated_at) VALUES (?, ?, ?)", [username, now, now]);
  return sqlite.query<{ id: number }, [string]>("SELECT id FROM users WHERE username = ?").get(username)!.id;
}

/** A migration written the way drizzle-kit rebuilds a table: copy, drop, rename. */
function rebuildUsersMigration(when: number): Migration {
  const text = [
    "PRAGMA foreign_keys=OFF;",
    "CREATE TABLE `__new_users` (`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL, `username` text NOT NULL, `email` text, `password_hash` text, `role` text DEFAULT 'user' NOT NULL, `disabled` integer DEFAULT false NOT NULL, `created_at` integer NOT NULL, `updated_at` integer NOT NULL, `nickname` text);",
    "INSERT INTO `__new_users`(`id`, `username`, `email`, `password_hash`, `role`, `disabled`, `created_at`, `updated_at`) SELECT `id`, `username`, `email`, `password_hash`, `role`, `disabled`, `created_at`, `updated_at` FROM `users`;",
    "DROP TABLE `users`;",
    "ALTER TABLE `__new_users` RENAME TO `users`;",
    "PRAGMA foreign_keys=ON;",
  ];
  return { tag: "9999_rebuild_users", when, hash: "test", statements: text };
}

describe("embedded migrations", () => {
  test("src/db/migrations.gen.ts is up to date with drizzle/ (run `bun run db:generate`)", () => {
    expect(readFileSync(join(root, "src/db/migrations.gen.ts"), "utf8")).toBe(renderMigrationsModule());
  });

  test("carry the same SQL, order and hashes as drizzle's own reader of drizzle/", () => {
    const fromDisk = readMigrationFiles({ migrationsFolder: join(root, "drizzle") });
    const embedded = embeddedMigrations();
    expect(embedded.map((m) => [m.when, m.hash])).toEqual(fromDisk.map((m) => [m.folderMillis, m.hash]));
    expect(embedded.map((m) => m.statements.join(""))).toEqual(fromDisk.map((m) => m.sql.join("")));
    expect(embedded.length).toBeGreaterThan(0);
  });
});

describe("migrate", () => {
  test("creates the schema on an empty file, then has nothing left to do", () => {
    const { sqlite, close } = openDatabase(tempFile());
    const first = migrate(sqlite);
    expect(first.applied).toEqual(embeddedMigrations().map((m) => m.tag));
    expect(first.current).toBe(embeddedMigrations().at(-1)!.tag);
    expect(schemaOf(sqlite).some((sql) => sql.startsWith("CREATE TABLE `users`"))).toBe(true);
    expect(migrate(sqlite)).toEqual({ applied: [], current: first.current });
    expect(appliedCount(sqlite)).toBe(embeddedMigrations().length);
    expect(sqlite.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    close();
  });

  test("a database at any older version upgrades to the same schema as a fresh one, keeping its rows", () => {
    const all = embeddedMigrations();
    const fresh = new Database(":memory:");
    migrate(fresh, all);
    for (let k = 0; k < all.length; k++) {
      const sqlite = new Database(":memory:");
      migrate(sqlite, all.slice(0, k));
      if (k > 0) insertUser(sqlite, `kept${k}`);
      migrate(sqlite, all);
      expect(schemaOf(sqlite)).toEqual(schemaOf(fresh));
      if (k > 0) expect(sqlite.query("SELECT username FROM users").all()).toEqual([{ username: `kept${k}` }]);
    }
  });

  test("users made before profiles existed get a profile when the database is upgraded", () => {
    const all = embeddedMigrations();
    const withProfiles = all.findIndex((m) => m.statements.some((statement) => statement.includes("CREATE TABLE `profiles`")));
    expect(withProfiles).toBeGreaterThan(0);
    const sqlite = new Database(":memory:");
    migrate(sqlite, all.slice(0, withProfiles));
    const ids = [insertUser(sqlite, "early"), insertUser(sqlite, "bird")];
    migrate(sqlite, all);
    const rows = sqlite.query<{ user_id: number; referral_code: string; xp: number }, []>("SELECT user_id, referral_code, xp FROM profiles ORDER BY user_id").all();
    expect(rows.map((row) => row.user_id)).toEqual(ids);
    for (const row of rows) {
      expect(row.referral_code).toMatch(/^[0-9A-F]{8}$/);
      expect(row.xp).toBe(0);
    }
    expect(rows[0]!.referral_code).not.toBe(rows[1]!.referral_code);
  });

  test("agrees with drizzle's own migrator: a file it migrated needs nothing more", () => {
    const sqlite = new Database(tempFile());
    drizzleMigrate(drizzle({ client: sqlite }), { migrationsFolder: join(root, "drizzle") });
    expect(migrate(sqlite).applied).toEqual([]);
    expect(appliedCount(sqlite)).toBe(embeddedMigrations().length);
  });

  test("a table rebuild (copy, drop, rename) never cascades into child rows", () => {
    const all = embeddedMigrations();
    const sqlite = new Database(tempFile());
    sqlite.run("PRAGMA foreign_keys = ON");
    migrate(sqlite, all);
    const userId = insertUser(sqlite, "ada");
    sqlite.run("CREATE TABLE notes (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE, body text)");
    sqlite.run("INSERT INTO notes (user_id, body) VALUES (?, 'keep me')", [userId]);

    const result = migrate(sqlite, [...all, rebuildUsersMigration(all.at(-1)!.when + 1)]);

    expect(result.applied).toEqual(["9999_rebuild_users"]);
    expect(sqlite.query("SELECT body FROM notes").all()).toEqual([{ body: "keep me" }]);
    expect(sqlite.query("SELECT id, username FROM users").all()).toEqual([{ id: userId, username: "ada" }]);
    expect(sqlite.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
  });

  test("control: the same rebuild in a plain transaction with foreign keys on loses the child rows", () => {
    const sqlite = new Database(":memory:");
    sqlite.run("PRAGMA foreign_keys = ON");
    migrate(sqlite);
    const userId = insertUser(sqlite, "ada");
    sqlite.run("CREATE TABLE notes (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE, body text)");
    sqlite.run("INSERT INTO notes (user_id, body) VALUES (?, 'keep me')", [userId]);
    sqlite.transaction(() => {
      for (const statement of rebuildUsersMigration(0).statements) sqlite.run(statement);
    })();
    expect(sqlite.query("SELECT body FROM notes").all()).toEqual([]);
  });

  test("a failing migration changes nothing at all", () => {
    const all = embeddedMigrations();
    const sqlite = new Database(":memory:");
    migrate(sqlite, all);
    insertUser(sqlite, "grace");
    const before = schemaOf(sqlite);
    const broken: Migration = {
      tag: "9999_broken",
      when: all.at(-1)!.when + 1,
      hash: "x",
      statements: ["CREATE TABLE half_done (id integer)", "ALTER TABLE no_such_table ADD COLUMN x integer"],
    };
    expect(() => migrate(sqlite, [...all, broken])).toThrow(/no_such_table/);
    expect(schemaOf(sqlite)).toEqual(before);
    expect(appliedCount(sqlite)).toBe(all.length);
    expect(sqlite.query("SELECT username FROM users").all()).toEqual([{ username: "grace" }]);
    expect(sqlite.inTransaction).toBe(false);
  });

  test("a migration that would leave dangling foreign keys is refused and rolled back", () => {
    const all = embeddedMigrations();
    const sqlite = new Database(":memory:");
    migrate(sqlite, all);
    const dangling: Migration = {
      tag: "9999_dangling",
      when: all.at(-1)!.when + 1,
      hash: "x",
      statements: [
        "CREATE TABLE notes (id integer PRIMARY KEY, user_id integer NOT NULL REFERENCES users(id))",
        "INSERT INTO notes (user_id) VALUES (424242)",
      ],
    };
    expect(() => migrate(sqlite, [...all, dangling])).toThrow(MigrationError);
    expect(schemaOf(sqlite).some((sql) => sql.includes("notes"))).toBe(false);
  });

  test("with nothing to apply, the foreign-key scan of the whole file is skipped: a start never blames a migration for old rows", () => {
    const all = embeddedMigrations();
    const sqlite = new Database(":memory:");
    migrate(sqlite, all);
    // A reference left dangling long ago (written with foreign keys off), not by any migration.
    sqlite.run("PRAGMA foreign_keys = OFF");
    sqlite.run("INSERT INTO profiles (user_id, referral_code, updated_at) VALUES (424242, 'DANGLING', 0)");
    expect(migrate(sqlite, all)).toEqual({ applied: [], current: all.at(-1)!.tag });
    // A pending migration still gets the whole check.
    const next: Migration = { tag: "9999_noop", when: all.at(-1)!.when + 1, hash: "y", statements: ["CREATE TABLE later (id integer PRIMARY KEY)"] };
    expect(() => migrate(sqlite, [...all, next])).toThrow(MigrationError);
  });

  test("a database written by a newer version is refused, untouched", () => {
    const all = embeddedMigrations();
    const sqlite = new Database(":memory:");
    migrate(sqlite, all);
    sqlite.run("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('future', ?)", [all.at(-1)!.when + 1000]);
    expect(() => migrate(sqlite, all)).toThrow(/newer version/);
    expect(appliedCount(sqlite)).toBe(all.length + 1);
  });

  test("two processes migrating one file at once apply each migration once", async () => {
    const file = tempFile();
    const run = () =>
      Bun.spawn(["bun", join(root, "cli/main.ts"), "migrate", "--database", file], {
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, COC_DATA_DIR: join(file, "..") },
      });
    const processes = [run(), run(), run()];
    const codes = await Promise.all(processes.map((p) => p.exited));
    const outputs = await Promise.all(processes.map((p) => new Response(p.stdout).text()));
    expect(codes).toEqual([0, 0, 0]);
    expect(outputs.filter((text) => text.includes("applied")).length).toBe(1);
    expect(outputs.filter((text) => text.includes("up to date")).length).toBe(2);
    const sqlite = new Database(file, { readonly: true });
    expect(appliedCount(sqlite)).toBe(embeddedMigrations().length);
    sqlite.close();
  });
});
