import { type Command, Option } from "commander";
import { confirmOrRefuse, operator, parseWholeNumber, withContext } from "../context.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";


/** grant-xp: XP given or taken through the same XpService the HTTP routes use, recorded in the ledger. */
export function grantXpCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("grant-xp <username> <amount>"))
    .description("give XP (or take it, with a negative amount) through the ledger")
    .addOption(new Option("--reason <text>", "why; recorded in the ledger").makeOptionMandatory())
    .option("--reference <id>", "makes the grant idempotent: a second run with the same reference grants nothing")
    .option("-y, --yes", "do not ask for confirmation when taking XP away")
    .addHelpText("after", "\nExamples:\n  coc grant-xp ada 500 --reason \"hackathon winner\"\n  coc grant-xp ada -100 --reason \"refunded order\" --yes\n  coc grant-xp ada 50 --reason \"bug bounty\" --reference bounty-17")
    .action(async (username: string, amountText: string, options: { reason: string; reference?: string; yes?: boolean } & Record<string, unknown>) => {
      const amount = parseWholeNumber(amountText, "amount");
      await withContext(io, configFlags(options), async (ctx) => {
        const user = await ctx.services.users.requireByUsername(username);
        if (amount < 0) await confirmOrRefuse(io, options.yes, `Take ${-amount} XP from ${user.username}?`);
        const result = await ctx.services.xp.add({
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
}
