import type { Command } from "commander";
import { resolve } from "node:path";
import { IMPORT_KINDS, type ImportReport } from "../../src/import/django-import.ts";
import { isPostgresSource, readDjango } from "../../src/import/django-source.ts";
import { withContext } from "../context.ts";
import { renderTable } from "../format.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

const LABELS: Record<(typeof IMPORT_KINDS)[number], string> = {
  users: "users",
  identities: "OAuth identities",
  referrals: "referrals",
  follows: "follows",
  check_ins: "check-ins",
  payments: "payment orders",
  chat_messages: "chat messages",
  xp: "XP balances",
};

/** A one-line progress bar on a terminal (stderr), redrawn in place. */
function progressBar(io: CliIO): (step: string, done: number, total: number) => void {
  if (!io.isTTY) return () => undefined;
  return (step, done, total) => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    io.stderr(`\r${step.padEnd(10)} [${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total}${done >= total ? "\n" : ""}`);
  };
}

function summary(report: ImportReport): string {
  if (report.nothingNew) return report.dryRun ? "dry run: nothing new to import\n" : "nothing new to import: everything was already here\n";
  return report.dryRun ? "dry run: nothing was written; the table shows what a real run would do\n" : "imported\n";
}

/** import-django: brings the original Django service's community in (users, XP, streaks, follows, payments, chat). */
export function importDjangoCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("import-django <source>"))
    .description("import the original Code of Clans (Django) database: a postgres:// URL or a SQLite file, read-only")
    .option("--media <folder>", "the original's media folder: avatars and banners are copied from it")
    .option("--media-url <url>", "the original's public base URL: pictures not copied keep their URL there")
    .option("--dry-run", "print what would be imported and change nothing")
    .option("--json", "print the report as JSON")
    .addHelpText(
      "after",
      "\nSafe to repeat and to interrupt: a second run imports nothing new; a stopped one resumes.\n\nExamples:\n  coc import-django postgres://coc@old-db:5432/code_of_clan_db --media /srv/old/media\n  coc import-django ./db.sqlite3 --dry-run\n  coc import-django ./db.sqlite3 --json",
    )
    .action(async (source: string, options: { media?: string; mediaUrl?: string; dryRun?: boolean; json?: boolean } & Record<string, unknown>) => {
      if (options.mediaUrl && !/^https?:\/\/[^\s]+$/i.test(options.mediaUrl)) throw new Error("--media-url must be an http(s) URL");
      const data = await readDjango(isPostgresSource(source) ? source : resolve(io.cwd, source));
      await withContext(io, configFlags(options), async (ctx) => {
        const report = await ctx.services.djangoImport.run(data, { dryRun: options.dryRun, mediaDir: options.media ?? null, mediaUrl: options.mediaUrl ?? null, onProgress: options.json ? undefined : progressBar(io) });
        if (options.json) {
          io.stdout(`${JSON.stringify({ dry_run: report.dryRun, nothing_new: report.nothingNew, kinds: report.kinds, renamed: report.renamed, notes: report.notes }, null, 2)}\n`);
          return;
        }
        io.stdout(renderTable(io, ["kind", "imported", "skipped", "renamed", "adjusted"], IMPORT_KINDS.map((kind) => [LABELS[kind], report.kinds[kind].imported, report.kinds[kind].skipped, report.kinds[kind].renamed, report.kinds[kind].adjusted])));
        for (const { from, to } of report.renamed) io.stdout(`renamed: ${from} → ${to}\n`);
        for (const note of report.notes) io.stdout(`note: ${note}\n`);
        io.stdout(summary(report));
      });
    });
}
