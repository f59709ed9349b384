import type { Command } from "commander";
import { loadConfig } from "../../src/config.ts";
import { openDatabase } from "../../src/db/client.ts";
import { migrate } from "../../src/db/migrate.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

export function migrateCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("migrate"))
    .description("upgrade the database to this version's schema, in place (serve does this too)")
    .addHelpText("after", "\nExamples:\n  coc migrate\n  coc migrate --database /var/lib/coc/coc.db")
    .action(async (options: Record<string, unknown>) => {
      const config = loadConfig(io.env, configFlags(options), io.cwd);
      const database = openDatabase(config.database);
      try {
        const { applied, current } = migrate(database.sqlite);
        io.stdout(
          applied.length === 0
            ? `${config.database}: up to date (${current ?? "no migrations"})\n`
            : `${config.database}: applied ${applied.length} migration(s): ${applied.join(", ")}; now at ${current}\n`,
        );
      } finally {
        await database.close();
      }
    });
}
