import { type Command, Option } from "commander";
import { userInfo } from "node:os";
import { confirmOrRefuse, parseWholeNumber, withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

function operator(): string {
  try {
    return userInfo().username;
  } catch {
    return "unknown";
  }
}

/** grant-xp and reset-streak: the same XpService and RewardsService the HTTP routes use. */
export function xpCommands(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("grant-xp <username> <amount>"))
    .description("give XP (or take it, with a negative amount) through the ledger")
    .addOption(new Option("--reason <text>", "why; recorded in the ledger").makeOptionMandatory())
    .option("--reference <id>", "makes the grant idempotent: a second run with the same reference grants nothing")
    .option("-y, --yes", "do not ask for confirmation when taking XP away")
    .addHelpText("after", "\nExamples:\n  coc grant-xp ada 500 --reason \"hackathon winner\"\n  coc grant-xp ada -100 --reason \"refunded order\" --yes\n  coc grant-xp ada 50 --reason \"bug bounty\" --reference bounty-17")
    .action(async (username: string, amountText: string, options: { reason: string; reference?: string; yes?: boolean } & Record<string, unknown>) => {
      const amount = parseWholeNumber(amountText, "amount");
      await withContext(io, configFlags(options), async (ctx) => {
        const user = ctx.services.users.requireByUsername(username);
        if (amount < 0) await confirmOrRefuse(io, options.yes, `Take ${-amount} XP from ${user.username}?`);
        const result = ctx.services.xp.add({
          userId: user.id,
          amount,
          source: "admin_adjustment",
          reference: options.reference ?? null,
          actor: `cli:${operator()}`,
          note: options.reason,
        });
        io.stdout(
          result.applied
            ? `${amount > 0 ? "granted" : "took"} ${Math.abs(amount)} XP ${amount > 0 ? "to" : "from"} ${user.username}; balance ${result.balance}\n`
            : `already recorded as ledger entry ${result.entry.id}; nothing granted; balance ${result.balance}\n`,
        );
      });
    });

  withDatabaseOptions(program.command("reset-streak <username>"))
    .description("end a user's current streak (longest streak and freezes are kept)")
    .option("-y, --yes", "do not ask for confirmation")
    .addHelpText("after", "\nExamples:\n  coc reset-streak ada\n  coc reset-streak ada --yes")
    .action(async (username: string, options: { yes?: boolean } & Record<string, unknown>) => {
      await withContext(io, configFlags(options), async (ctx) => {
        const user = ctx.services.users.requireByUsername(username);
        await confirmOrRefuse(io, options.yes, `Reset the streak of ${user.username}?`);
        const result = ctx.services.rewards.resetStreak(user.id);
        ctx.log.info("streak reset", { user_id: user.id, before: result.before, by: `cli:${operator()}` });
        io.stdout(`${user.username}: streak ${result.before} → 0 (longest ${result.longest} kept)\n`);
      });
    });
}
