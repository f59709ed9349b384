import { type Command, InvalidArgumentError } from "commander";
import { withContext } from "../context.ts";
import { renderTable } from "../format.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

function dateArgument(text: string): Date {
  const date = /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/.test(text) ? new Date(text) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new InvalidArgumentError("expected a date like 2026-11-01 or 2026-11-01T12:00:00Z");
  return date;
}

/** replay-payments: the webhook's safety net, through PaymentService.fulfil. */
export function replayPaymentsCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("replay-payments"))
    .description("credit orders that Razorpay captured but this server never heard of (missed webhooks)")
    .option("--since <date>", "only orders created since this date (UTC)", dateArgument)
    .option("--order <order_id>", "only this order")
    .option("--dry-run", "report what would be credited; change nothing")
    .addHelpText("after", "\nExamples:\n  coc replay-payments --since 2026-11-01 --dry-run\n  coc replay-payments --order order_NcQ1x9ZbWq3jT2")
    .action(async (options: { since?: Date; order?: string; dryRun?: boolean } & Record<string, unknown>) => {
      await withContext(io, configFlags(options), async (ctx) => {
        const progress = (done: number, total: number) => {
          if (io.isTTY && total > 1) io.stderr(`\rchecking orders with Razorpay: ${done}/${total}${done === total ? "\n" : ""}`);
        };
        const outcomes = await ctx.services.payments.replay({ since: options.since, orderId: options.order, dryRun: options.dryRun, onProgress: progress });
        io.stdout(renderTable(io, ["order", "user", "xp", "outcome", "detail"], outcomes.map((o) => [o.orderId, o.userId, o.xp, o.outcome, o.detail])));
        const count = (outcome: string) => outcomes.filter((o) => o.outcome === outcome).length;
        io.stdout(
          options.dryRun
            ? `dry run: ${count("would_credit")} would be credited, ${count("skipped")} skipped, ${count("failed")} failed\n`
            : `${count("credited")} credited, ${count("skipped")} skipped, ${count("failed")} failed\n`,
        );
      });
    });
}
