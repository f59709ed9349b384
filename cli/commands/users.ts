import { type Command, InvalidArgumentError, Option } from "commander";
import { USER_SORTS, type UserSort } from "../../src/users/user-service.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "../../src/auth/password.ts";
import { AppError } from "../../src/errors.ts";
import { confirmOrRefuse, withContext } from "../context.ts";
import { renderTable } from "../format.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

function limitArgument(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 100_000) throw new InvalidArgumentError("expected a whole number from 1 to 100000");
  return value;
}

/** list-users, create-admin, set-role, disable-user, enable-user. */
export function userCommands(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("list-users"))
    .description("list users with their XP and streaks")
    .addOption(new Option("--sort <field>", "order by").choices(USER_SORTS as string[]).default("created"))
    .addOption(new Option("--limit <n>", "how many (1–100000)").argParser(limitArgument).default(50))
    .option("--search <text>", "only users whose username or email contains this")
    .option("--json", "print JSON instead of a table")
    .addHelpText("after", "\nExamples:\n  coc list-users --sort xp --limit 10\n  coc list-users --search ada --json")
    .action(async (options: { sort: UserSort; limit: number; search?: string; json?: boolean } & Record<string, unknown>) => {
      await withContext(io, configFlags(options), (ctx) => {
        const rows = ctx.services.users.list({ sort: options.sort, limit: options.limit, search: options.search });
        if (options.json) {
          io.stdout(`${JSON.stringify(rows, null, 2)}\n`);
          return;
        }
        io.stdout(
          renderTable(
            io,
            ["id", "username", "email", "role", "xp", "level", "streak", "longest", "disabled", "created"],
            rows.map((u) => [u.id, u.username, u.email, u.role, u.xp, u.level, u.streak, u.longest_streak, u.disabled ? "yes" : "", u.created_at.slice(0, 10)]),
          ),
        );
        io.stdout(`${rows.length} user(s)\n`);
      });
    });

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
      if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
        throw new AppError("validation", "validation_failed", `The password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`);
      }
      await withContext(io, configFlags(options), async (ctx) => {
        const passwordHash = await ctx.services.passwords.hash(password);
        const user = ctx.services.users.create({ username, email: options.email ?? null, passwordHash, role: "admin" });
        ctx.log.info("admin created", { user_id: user.id, by: "cli" });
        io.stdout(`created admin ${user.username} (id ${user.id})\n`);
      });
    });

  withDatabaseOptions(program.command("set-role <username> <role>"))
    .description("make a user an admin, or an admin a plain user")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText("after", "\nExamples:\n  coc set-role ada admin\n  coc set-role ada user --yes")
    .action(async (username: string, role: string, options: { yes?: boolean } & Record<string, unknown>) => {
      if (role !== "user" && role !== "admin") throw new InvalidArgumentError(`role must be "user" or "admin", got "${role}"`);
      await withContext(io, configFlags(options), async (ctx) => {
        const user = ctx.services.users.requireByUsername(username);
        if (user.role === role) {
          io.stdout(`${user.username} is already ${role}\n`);
          return;
        }
        await confirmOrRefuse(io, options.yes, `Change ${user.username} from ${user.role} to ${role}?`);
        ctx.services.users.setRole(user.id, role);
        ctx.log.info("role changed", { user_id: user.id, role, by: "cli" });
        io.stdout(`${user.username} is now ${role}\n`);
      });
    });

  for (const disable of [true, false]) {
    withDatabaseOptions(program.command(`${disable ? "disable" : "enable"}-user <username>`))
      .description(disable ? "disable an account: signs it out everywhere and refuses it until enabled" : "enable a disabled account")
      .option("-y, --yes", "do not ask for confirmation")
      .addHelpText("after", `\nExamples:\n  coc ${disable ? "disable" : "enable"}-user spammer42${disable ? " --yes" : ""}`)
      .action(async (username: string, options: { yes?: boolean } & Record<string, unknown>) => {
        await withContext(io, configFlags(options), async (ctx) => {
          const user = ctx.services.users.requireByUsername(username);
          if (user.disabled === disable) {
            io.stdout(`${user.username} is already ${disable ? "disabled" : "enabled"}\n`);
            return;
          }
          if (disable) await confirmOrRefuse(io, options.yes, `Disable ${user.username}? They are signed out everywhere.`);
          ctx.services.users.setDisabled(user.id, disable);
          ctx.log.info(disable ? "user disabled" : "user enabled", { user_id: user.id, by: "cli" });
          io.stdout(`${user.username} is ${disable ? "disabled" : "enabled"}\n`);
        });
      });
  }
}
