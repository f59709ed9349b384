import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "../src/config.ts";
import { MigrationError } from "../src/db/migrate.ts";
import { isAppError } from "../src/errors.ts";
import { VERSION } from "../src/version.ts";
import { backupCommand } from "./commands/backup.ts";
import { createAdminCommand } from "./commands/create-admin.ts";
import { disableUserCommand } from "./commands/disable-user.ts";
import { enableUserCommand } from "./commands/enable-user.ts";
import { grantXpCommand } from "./commands/grant-xp.ts";
import { importDjangoCommand } from "./commands/import-django.ts";
import { listUsersCommand } from "./commands/list-users.ts";
import { migrateCommand } from "./commands/migrate.ts";
import { replayPaymentsCommand } from "./commands/replay-payments.ts";
import { resetStreakCommand } from "./commands/reset-streak.ts";
import { serveCommand } from "./commands/serve.ts";
import { setRoleCommand } from "./commands/set-role.ts";
import { Refused } from "./context.ts";
import type { CliIO } from "./io.ts";

/** Exit codes: 0 done, 1 failed (bad configuration, unknown user, refused…), 2 bad usage. */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Builds the `coc` program. `running` is called by commands that keep the process alive (serve). */
export function buildProgram(io: CliIO, running: () => void = () => {}): Command {
  const program = new Command("coc")
    .description("Code of Clans server: the HTTP API, the WebSocket chat and the admin's tools, in one binary")
    .version(VERSION, "-v, --version", "print the version")
    .helpCommand("help [command]", "show help for a command")
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .addHelpText(
      "after",
      "\nConfiguration comes from COC_* environment variables (see README); flags override them.\n" +
        "Examples:\n  coc serve --port 8000\n  coc list-users --sort xp --limit 10\n  coc grant-xp ada 100 --reason \"contest prize\"\n  coc help grant-xp",
    );
  serveCommand(program, io, running);
  migrateCommand(program, io);
  grantXpCommand(program, io);
  resetStreakCommand(program, io);
  listUsersCommand(program, io);
  createAdminCommand(program, io);
  setRoleCommand(program, io);
  disableUserCommand(program, io);
  enableUserCommand(program, io);
  replayPaymentsCommand(program, io);
  backupCommand(program, io);
  importDjangoCommand(program, io);
  return program;
}

/** Runs the CLI; answers the exit code, or "running" when a server keeps the process alive. */
export async function runCli(argv: string[], io: CliIO): Promise<number | "running"> {
  let keepAlive = false;
  const program = buildProgram(io, () => {
    keepAlive = true;
  });
  if (argv.length === 0) {
    io.stderr(`${program.helpInformation()}\nerror: missing command\n`);
    return EXIT_USAGE;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
    return keepAlive ? "running" : 0;
  } catch (error) {
    // Thrown by an action (argParser's are reported by commander itself): still bad usage.
    if (error instanceof InvalidArgumentError) {
      io.stderr(`error: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof Refused) {
      io.stderr(`${error.message}\n`);
      return EXIT_FAILURE;
    }
    if (error instanceof ConfigError) io.stderr(`error: invalid configuration: ${error.message}\n`);
    else if (isAppError(error)) io.stderr(`error: ${[error.message, ...(error.extra.errors ?? []).map((e) => `${e.path.slice(1) || "input"} ${e.message}`)].join("; ")}\n`);
    else if (error instanceof MigrationError) io.stderr(`error: ${error.message}\n`);
    else io.stderr(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT_FAILURE;
  }
}
