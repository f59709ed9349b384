import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase, writeTransaction } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { users } from "../../src/db/schema.ts";
import { useTempDirs } from "../support/temp.ts";

const tempDir = useTempDirs("coc-db-");
function tempFile(): string {
  return join(tempDir(), "nested", "coc.db");
}

const at = new Date("2026-01-01T00:00:00Z");

describe("openDatabase", () => {
  test("creates the folder and sets WAL, foreign keys, busy timeout and synchronous=FULL", () => {
    const { sqlite, close } = openDatabase(tempFile());
    expect(sqlite.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(sqlite.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    expect(sqlite.query("PRAGMA busy_timeout").get()).toEqual({ timeout: 5000 });
    expect(sqlite.query("PRAGMA synchronous").get()).toEqual({ synchronous: 2 });
    close();
    close();
  });
});

describe("writeTransaction", () => {
  test("takes the write lock at BEGIN, so another writer waits instead of interleaving", () => {
    const file = tempFile();
    const { sqlite, db, close } = openDatabase(file);
    migrate(sqlite);
    const other = new Database(file);
    other.run("PRAGMA busy_timeout = 0");
    let otherCouldWrite: boolean | undefined;
    writeTransaction(db, (tx) => {
      // Nothing written yet: a deferred transaction would hold no lock at this point.
      try {
        other.run("BEGIN IMMEDIATE");
        other.run("ROLLBACK");
        otherCouldWrite = true;
      } catch (error) {
        otherCouldWrite = false;
        expect(String(error)).toContain("locked");
      }
      tx.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run();
    });
    expect(otherCouldWrite).toBe(false);
    expect(other.query("SELECT username FROM users").all()).toEqual([{ username: "ada" }]);
    other.close();
    close();
  });

  test("rolls back everything when the work throws", () => {
    const { sqlite, db, close } = openDatabase(":memory:");
    migrate(sqlite);
    expect(() =>
      writeTransaction(db, (tx) => {
        tx.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run();
        throw new Error("changed my mind");
      }),
    ).toThrow("changed my mind");
    expect(db.select().from(users).all()).toEqual([]);
    close();
  });

  test("refuses asynchronous work, and keeps none of its writes", () => {
    const { sqlite, db, close } = openDatabase(":memory:");
    migrate(sqlite);
    expect(() =>
      writeTransaction(db, async (tx) => {
        tx.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run();
      }),
    ).toThrow(/synchronous/);
    expect(db.select().from(users).all()).toEqual([]);
    close();
  });

  test("usernames are unique ignoring case", () => {
    const { sqlite, db, close } = openDatabase(":memory:");
    migrate(sqlite);
    db.insert(users).values({ username: "Ada", createdAt: at, updatedAt: at }).run();
    expect(() => db.insert(users).values({ username: "aDA", createdAt: at, updatedAt: at }).run()).toThrow(/UNIQUE/);
    close();
  });
});
