import { type Command, InvalidArgumentError, Option } from "commander";
import { ConfigError, type ConfigFlags, parsePort } from "../src/config.ts";

function portArgument(text: string): number {
  try {
    return parsePort("--port", text);
  } catch (error) {
    throw new InvalidArgumentError(error instanceof ConfigError ? "expected a port number from 0 to 65535" : String(error));
  }
}

/** --data-dir and --database, shared by every command that opens the database. */
export function withDatabaseOptions(command: Command): Command {
  return command
    .addOption(new Option("--data-dir <dir>", "folder of the database and generated secrets (env COC_DATA_DIR, default ./data)"))
    .addOption(new Option("--database <file>", "SQLite file, or :memory: (env COC_DATABASE, default <data-dir>/coc.db)"));
}

export function withListenOptions(command: Command): Command {
  return command
    .addOption(new Option("--port <port>", "port to listen on; 0 picks a free one (env COC_PORT or PORT, default 8000)").argParser(portArgument))
    .addOption(new Option("--host <host>", "address to listen on (env COC_HOST, default 0.0.0.0)"));
}

export function configFlags(options: Record<string, unknown>): ConfigFlags {
  const flags: ConfigFlags = {};
  if (typeof options.port === "number") flags.port = options.port;
  if (typeof options.host === "string") flags.host = options.host;
  if (typeof options.dataDir === "string") flags.dataDir = options.dataDir;
  if (typeof options.database === "string") flags.database = options.database;
  if (typeof options.web === "string") flags.web = options.web;
  return flags;
}
