import type { Command } from "commander";
import { confirmOrRefuse, operator, withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

/** reset-streak: a rewards command; ends a user's current streak through RewardsService. */
export function resetStreakCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("reset-streak <username>"))
    .description("end a user's current streak (longest streak and freezes are kept)")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText("after", "\nExamples:\n  coc reset-streak ada\n  coc reset-streak ada --yes")
    .action(async (username: string, options: { yes?: boolean } & Record<string, unknown>) => {
      await withContext(io, configFlags(options), async (ctx) => {
        const user = await ctx.services.users.requireByUsername(username);
        await confirmOrRefuse(io, options.yes, `Reset the streak of ${user.username}?`);
        const result = await ctx.services.rewards.resetStreak(user.id);
        ctx.log.info("streak reset", { user_id: user.id, before: result.before, by: `cli:${operator()}` });
        io.stdout(`${user.username}: streak ${result.before} → 0 (longest ${result.longest} kept)\n`);
      });
    });
}
