import type { Command } from "commander";
import type { CliIO } from "../io.ts";
import { disableUserCommand } from "./disable-user.ts";

/** enable-user: the way back from disable-user. */
export function enableUserCommand(program: Command, io: CliIO): void {
  disableUserCommand(program, io, false);
}
