import type { Command } from "commander";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import { migratePostgres, openPostgres } from "../../src/db/postgres.ts";
import { systemClock } from "../../src/clock.ts";
import { createLogger } from "../../src/log.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

export function migrateCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("migrate"))
    .description("upgrade the database to this version's schema, in place (serve does this too)")
    .addHelpText("after", "\nExamples:\n  coc migrate\n  coc migrate --database /var/lib/coc/coc.db")
    .action(async (options: Record<string, unknown>) => {
      const config = loadConfig(io.env, configFlags(options), io.cwd);
      if (config.databaseUrl) {
        const pg = openPostgres(config.databaseUrl, createLogger({ level: "error", clock: systemClock }));
        try {
          const { applied, current } = await migratePostgres(pg.sql);
          report(io, "postgres", applied, current);
        } finally {
          await pg.close();
        }
        return;
      }
      const database = openDatabase(config.database);
      try {
        const { applied, current } = migrate(database.sqlite);
        report(io, config.database, applied, current);
      } finally {
        await database.close();
      }
    });
}

function report(io: CliIO, database: string, applied: string[], current: string | null): void {
  io.stdout(
    applied.length === 0
      ? `${database}: up to date (${current ?? "no migrations"})\n`
      : `${database}: applied ${applied.length} migration(s): ${applied.join(", ")}; now at ${current}\n`,
  );
}
