import type { Command } from "commander";
import { resolve } from "node:path";
import { backupDatabase } from "../../src/db/backup.ts";
import { AppError } from "../../src/errors.ts";
import { withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

/** backup: a consistent copy of the live database, readable by its owner only. */
export function backupCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("backup <file>"))
    .description("write a consistent copy of the database, safe while the server runs")
    .addHelpText("after", "\nExamples:\n  coc backup /var/backups/coc-$(date +%F).db")
    .action(async (file: string, options: Record<string, unknown>) => {
      const target = resolve(io.cwd, file);
      await withContext(io, configFlags(options), (ctx) => {
        if (!ctx.sqlite) {
          throw new AppError(
            "validation",
            "use_pg_dump",
            "The database is PostgreSQL (COC_DATABASE_URL): back it up with pg_dump, e.g. pg_dump --format=custom --file=coc.dump \"$COC_DATABASE_URL\"",
          );
        }
        if (ctx.config.database === ":memory:") throw new AppError("validation", "nothing_to_back_up", "The database is in memory");
        const bytes = backupDatabase(ctx.sqlite, target);
        ctx.log.info("database backed up", { file: target });
        io.stdout(`backed up ${ctx.config.database} to ${target} (${bytes} bytes, integrity ok)\n`);
      });
    });
}
