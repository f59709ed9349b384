import type { Command } from "commander";
import { confirmOrRefuse, withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

/**
 * disable-user (and, with `disable` false, enable-user): an account signed out everywhere and
 * refused until enabled again.
 */
export function disableUserCommand(program: Command, io: CliIO, disable = true): void {
  withDatabaseOptions(program.command(`${disable ? "disable" : "enable"}-user <username>`))
    .description(disable ? "disable an account: signs it out everywhere and refuses it until enabled" : "enable a disabled account")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText("after", `\nExamples:\n  coc ${disable ? "disable" : "enable"}-user spammer42${disable ? " --yes" : ""}`)
    .action(async (username: string, options: { yes?: boolean } & Record<string, unknown>) => {
      await withContext(io, configFlags(options), async (ctx) => {
        const user = await ctx.services.users.requireByUsername(username);
        if (user.disabled === disable) {
          io.stdout(`${user.username} is already ${disable ? "disabled" : "enabled"}\n`);
          return;
        }
        if (disable) await confirmOrRefuse(io, options.yes, `Disable ${user.username}? They are signed out everywhere.`);
        await ctx.services.users.setDisabled(user.id, disable);
        ctx.log.info(disable ? "user disabled" : "user enabled", { user_id: user.id, by: "cli" });
        io.stdout(`${user.username} is ${disable ? "disabled" : "enabled"}\n`);
      });
    });
}
