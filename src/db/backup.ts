import { Database } from "bun:sqlite";
import { chmodSync, statSync, writeFileSync } from "node:fs";
import { AppError } from "../errors.ts";

/**
 * Writes a consistent copy of the live database to `target` (VACUUM INTO reads one snapshot, so it
 * is safe while a server writes), then checks the copy's integrity. The target is created first,
 * empty and exclusively, with mode 0600: it never exists readable by others, and an existing file
 * is never overwritten (409 `file_exists`). Answers the copy's size in bytes.
 */
export function backupDatabase(sqlite: Database, target: string): number {
  try {
    writeFileSync(target, "", { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") throw new AppError("conflict", "file_exists", `${target} already exists; choose another name`);
    throw error;
  }
  chmodSync(target, 0o600);
  sqlite.prepare("VACUUM INTO ?").run(target);
  const copy = new Database(target, { readonly: true });
  try {
    const check = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get();
    if (check?.integrity_check !== "ok") throw new AppError("internal", "backup_corrupt", `The copy failed its integrity check: ${check?.integrity_check}`);
  } finally {
    copy.close();
  }
  return statSync(target).size;
}
