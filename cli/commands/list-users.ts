import { type Command, InvalidArgumentError, Option } from "commander";
import { USER_SORTS, type UserListing, type UserSort } from "../../src/users/user-service.ts";
import { levelFor } from "../../src/xp/levels.ts";
import { withContext } from "../context.ts";
import { renderTable } from "../format.ts";
import type { CliIO } from "../io.ts";
import { configFlags, withDatabaseOptions } from "../options.ts";

function limitArgument(text: string): number {
  const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > 100_000) throw new InvalidArgumentError("expected a whole number from 1 to 100000");
  return value;
}

/** A row of `--json`: the command's own output format, kept stable for scripts. */
function jsonRow({ user, profile }: UserListing) {
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    role: user.role,
    disabled: user.disabled,
    xp: profile.xp,
    level: levelFor(profile.xp),
    streak: profile.currentStreak,
    longest_streak: profile.longestStreak,
    created_at: user.createdAt.toISOString(),
  };
}

/** list-users: users with their XP and streaks, as a table or JSON. */
export function listUsersCommand(program: Command, io: CliIO): void {
  withDatabaseOptions(program.command("list-users"))
    .description("list users with their XP and streaks")
    .addOption(new Option("--sort <field>", "order by").choices(USER_SORTS as string[]).default("created"))
    .addOption(new Option("--limit <n>", "how many (1–100000)").argParser(limitArgument).default(50))
    .option("--search <text>", "only users whose username or email contains this")
    .option("--json", "print JSON instead of a table")
    .addHelpText("after", "\nExamples:\n  coc list-users --sort xp --limit 10\n  coc list-users --search ada --json")
    .action(async (options: { sort: UserSort; limit: number; search?: string; json?: boolean } & Record<string, unknown>) => {
      await withContext(io, configFlags(options), async (ctx) => {
        const rows = (await ctx.services.users.list({ sort: options.sort, limit: options.limit, search: options.search })).map(jsonRow);
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
}
