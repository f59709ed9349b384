import { Database } from "bun:sqlite";
import type { Command } from "commander";
import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { AppError } from "../../src/errors.ts";
import { withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

/** backup: a consistent copy of the live database (VACUUM INTO reads one snapshot). */
export function backupCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("backup <file>"))
    .description("write a consistent copy of the database, safe while the server runs")
    .addHelpText("after", "\nExamples:\n  coc backup /var/backups/coc-$(date +%F).db")
    .action(async (file: string, options: Record<string, unknown>) => {
      const target = resolve(io.cwd, file);
      if (existsSync(target)) throw new AppError("conflict", "file_exists", `${target} already exists; choose another name`);
      await withContext(io, configFlags(options), (ctx) => {
        if (ctx.config.database === ":memory:") throw new AppError("validation", "nothing_to_back_up", "The database is in memory");
        ctx.sqlite.prepare("VACUUM INTO ?").run(target);
        const copy = new Database(target, { readonly: true });
        try {
          const check = copy.query<{ integrity_check: string }, []>("PRAGMA integrity_check").get();
          if (check?.integrity_check !== "ok") throw new AppError("internal", "backup_corrupt", `The copy failed its integrity check: ${check?.integrity_check}`);
        } finally {
          copy.close();
        }
        ctx.log.info("database backed up", { file: target });
        io.stdout(`backed up ${ctx.config.database} to ${target} (${statSync(target).size} bytes, integrity ok)\n`);
      });
    });
}
