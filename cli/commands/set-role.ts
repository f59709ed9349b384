import { type Command, InvalidArgumentError } from "commander";
import { confirmOrRefuse, withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

/** set-role: make a user an admin, or an admin a plain user. */
export function setRoleCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("set-role <username> <role>"))
    .description("make a user an admin, or an admin a plain user")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText("after", "\nExamples:\n  coc set-role ada admin\n  coc set-role ada user --yes")
    .action(async (username: string, role: string, options: { yes?: boolean } & Record<string, unknown>) => {
      if (role !== "user" && role !== "admin") throw new InvalidArgumentError(`role must be "user" or "admin", got "${role}"`);
      await withContext(io, configFlags(options), async (ctx) => {
        const user = await ctx.services.users.requireByUsername(username);
        if (user.role === role) {
          io.stdout(`${user.username} is already ${role}\n`);
          return;
        }
        await confirmOrRefuse(io, options.yes, `Change ${user.username} from ${user.role} to ${role}?`);
        await ctx.services.users.setRole(user.id, role);
        ctx.log.info("role changed", { user_id: user.id, role, by: "cli" });
        io.stdout(`${user.username} is now ${role}\n`);
      });
    });
}
