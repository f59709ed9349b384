import type { Command } from "commander";
import { AppError } from "../../src/errors.ts";
import { withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

/** create-admin: an admin account, through the same rules as registration (AuthService.createAccount). */
export function createAdminCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("create-admin <username>"))
    .description("create an admin account (asks for the password on a terminal)")
    .option("--email <email>", "the admin's email")
    .option("--password-stdin", "read the password from standard input (for scripts)")
    .addHelpText("after", "\nExamples:\n  coc create-admin root_ada --email ada@example.com\n  printf '%s' \"$PASSWORD\" | coc create-admin ops --password-stdin")
    .action(async (username: string, options: { email?: string; passwordStdin?: boolean } & Record<string, unknown>) => {
      let password: string;
      if (options.passwordStdin) password = (await io.readStdin()).replace(/\r?\n$/, "");
      else if (io.isTTY) password = await io.password(`Password for ${username}:`);
      else throw new AppError("validation", "password_required", "No terminal to ask for the password: use --password-stdin");
      await withContext(io, configFlags(options), async (ctx) => {
        const user = await ctx.services.auth.createAccount({ username, email: options.email ?? null, password, role: "admin" });
        ctx.log.info("admin created", { user_id: user.id, by: "cli" });
        io.stdout(`created admin ${user.username} (id ${user.id})\n`);
      });
    });
}
