import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { users } from "../../src/db/schema.ts";
import { useTempDirs } from "../support/temp.ts";

const tempDir = useTempDirs("coc-db-");
function tempFile(): string {
  return join(tempDir(), "nested", "coc.db");
}

const at = new Date("2026-01-01T00:00:00Z");
const names = (db: Database) => db.query<{ username: string }, []>("SELECT username FROM users ORDER BY id").all().map((row) => row.username);

function opened(path = tempFile()) {
  const database = openDatabase(path);
  migrate(database.sqlite);
  return { ...database, path };
}

describe("openDatabase", () => {
  test("both connections get WAL, foreign keys, busy timeout and synchronous=FULL; the reader cannot write", async () => {
    const { sqlite, reader, close } = opened();
    for (const connection of [sqlite, reader.sqlite]) {
      expect(connection.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
      expect(connection.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
      expect(connection.query("PRAGMA busy_timeout").get()).toEqual({ timeout: 5000 });
      expect(connection.query("PRAGMA synchronous").get()).toEqual({ synchronous: 2 });
    }
    expect(reader.sqlite).not.toBe(sqlite);
    expect(() => reader.sqlite.run("INSERT INTO users (username, created_at, updated_at) VALUES ('x', 0, 0)")).toThrow(/readonly|query_only/i);
    await close();
    await close();
  });

  test("usernames are unique ignoring case", async () => {
    const { writer, close } = opened(":memory:");
    await writer.run((tx) => tx.db.insert(users).values({ username: "Ada", createdAt: at, updatedAt: at }).run());
    await expect(writer.run((tx) => tx.db.insert(users).values({ username: "aDA", createdAt: at, updatedAt: at }).run())).rejects.toThrow(/UNIQUE/);
    await close();
  });
});

describe("Writer: group commit", () => {
  test("units handed in during one turn are one batch: one transaction, answered in order", async () => {
    const { writer, sqlite, close } = opened();
    const order: string[] = [];
    const answers = await Promise.all(
      ["ada", "grace", "linus"].map((name) =>
        writer.run((tx) => {
          order.push(name);
          tx.db.insert(users).values({ username: name, createdAt: at, updatedAt: at }).run();
          return name.toUpperCase();
        }),
      ),
    );
    expect(answers).toEqual(["ADA", "GRACE", "LINUS"]);
    expect(order).toEqual(["ada", "grace", "linus"]);
    expect(writer.stats()).toMatchObject({ batches: 1, units: 3, largestBatch: 3, sizes: { "2-3": 1 } });
    expect(names(sqlite)).toEqual(["ada", "grace", "linus"]);
    await close();
  });

  test("a unit that throws is rolled back alone; its caller gets its error, the others commit", async () => {
    const { writer, sqlite, close } = opened();
    const insert = (name: string) => writer.run((tx) => tx.db.insert(users).values({ username: name, createdAt: at, updatedAt: at }).run());
    const outcomes = await Promise.allSettled([
      insert("ada"),
      writer.run((tx) => {
        tx.db.insert(users).values({ username: "mallory", createdAt: at, updatedAt: at }).run();
        throw new Error("changed my mind");
      }),
      insert("ADA"), // breaks the unique name: this unit alone fails
      insert("grace"),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("changed my mind");
    expect(String((outcomes[2] as PromiseRejectedResult).reason)).toContain("UNIQUE");
    expect(names(sqlite)).toEqual(["ada", "grace"]);
    expect(writer.stats()).toMatchObject({ batches: 1, units: 4, failedUnits: 2 });
    await close();
  });

  test("units written asynchronously run one after another: no unit's statements come between another's", async () => {
    const { writer, sqlite, close } = opened();
    const trace: string[] = [];
    const unit = (name: string) =>
      writer.run(async (tx) => {
        trace.push(`${name} begins`);
        await tx.db.insert(users).values({ username: name, createdAt: at, updatedAt: at });
        await Promise.resolve();
        trace.push(`${name} ends`);
      });
    await Promise.all([unit("ada"), unit("grace")]);
    expect(trace).toEqual(["ada begins", "ada ends", "grace begins", "grace ends"]);
    expect(names(sqlite)).toEqual(["ada", "grace"]);
    expect(writer.stats().batches).toBe(1);
    await close();
  });

  test("a caller hears back only once the batch is committed: another process already sees it", async () => {
    const { writer, path, close } = opened();
    const other = new Database(path, { readonly: true });
    let seenInside: string[] = [];
    await writer.run((tx) => {
      tx.db.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run();
      seenInside = names(other);
    });
    expect(seenInside).toEqual([]);
    expect(names(other)).toEqual(["ada"]);
    other.close();
    await close();
  });

  test("takes the write lock at BEGIN: another process's writer waits for the whole batch", async () => {
    const { writer, path, close } = opened();
    const other = new Database(path);
    other.run("PRAGMA busy_timeout = 0");
    let otherCouldWrite: boolean | undefined;
    await writer.run(() => {
      // Nothing written yet: a deferred transaction would hold no lock at this point.
      try {
        other.run("BEGIN IMMEDIATE");
        other.run("ROLLBACK");
        otherCouldWrite = true;
      } catch (error) {
        otherCouldWrite = false;
        expect(String(error)).toContain("locked");
      }
    });
    expect(otherCouldWrite).toBe(false);
    other.close();
    await close();
  });

  test("while another process holds the write lock past the busy timeout, the batch fails whole and the next one succeeds", async () => {
    const { writer, sqlite, path, close } = opened();
    sqlite.run("PRAGMA busy_timeout = 20");
    const other = new Database(path);
    other.run("BEGIN IMMEDIATE");
    const insert = (name: string) => writer.run((tx) => tx.db.insert(users).values({ username: name, createdAt: at, updatedAt: at }).run());
    const outcomes = await Promise.allSettled([insert("ada"), insert("grace")]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    other.run("ROLLBACK");
    other.close();
    await insert("linus");
    expect(names(sqlite)).toEqual(["linus"]);
    expect(writer.stats()).toMatchObject({ batches: 2, failedBatches: 1 });
    await close();
  });

  test("a batch whose transaction is lost (rolled back under it) fails whole: no unit's writes stand", async () => {
    const { writer, sqlite, close } = opened();
    const outcomes = await Promise.allSettled([
      writer.run((tx) => tx.db.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run()),
      // What SQLite does on some errors (disk full, I/O): the whole transaction is rolled back.
      writer.run((tx) => tx.db.run(sql`ROLLBACK`)),
      writer.run((tx) => tx.db.insert(users).values({ username: "grace", createdAt: at, updatedAt: at }).run()),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(names(sqlite)).toEqual([]);
    expect(sqlite.inTransaction).toBe(false);
    await writer.run((tx) => tx.db.insert(users).values({ username: "linus", createdAt: at, updatedAt: at }).run());
    expect(names(sqlite)).toEqual(["linus"]);
    await close();
  });

  test("reads see only committed data, and a read after a write in the same turn sees it", async () => {
    const { writer, reader, close } = opened();
    const read = () => {
      reader.enter();
      return names(reader.sqlite);
    };
    expect(read()).toEqual([]); // the snapshot of this turn is open now
    let duringUnit: string[] = [];
    await writer.run((tx) => {
      tx.db.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run();
      duringUnit = read();
    });
    expect(duringUnit).toEqual([]);
    expect(read()).toEqual(["ada"]);
    await close();
  });

  test("closing commits what is queued, then refuses more", async () => {
    const { writer, path, close } = opened();
    const pending = writer.run((tx) => tx.db.insert(users).values({ username: "ada", createdAt: at, updatedAt: at }).run());
    await close();
    await pending;
    const after = new Database(path, { readonly: true });
    expect(names(after)).toEqual(["ada"]);
    after.close();
    await expect(writer.run(() => 1)).rejects.toThrow(/closed/);
  });
});
