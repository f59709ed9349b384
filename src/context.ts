import type { Database } from "bun:sqlite";
import { type Clock, systemClock } from "./clock.ts";
import type { Config, DiscordConfig, GithubConfig, GoogleConfig, RazorpayConfig } from "./config.ts";
import { type Db, openDatabase } from "./db/client.ts";
import { migrate } from "./db/migrate.ts";
import { ConnectionRegistry } from "./http/connections.ts";
import { createLogger, type Logger } from "./log.ts";
import { resolveJwtSecret } from "./secrets.ts";

/** Where each outside provider lives and how to reach it; null when it is off. */
export interface Providers {
  github: GithubConfig | null;
  google: GoogleConfig | null;
  discord: DiscordConfig | null;
  razorpay: RazorpayConfig | null;
}

/** Everything the server, the CLI and a test share: built once per process (or per test). */
export interface AppContext {
  config: Config;
  db: Db;
  sqlite: Database;
  clock: Clock;
  log: Logger;
  providers: Providers;
  /** The JWT signing secret: configured, or generated once into the data dir. */
  jwtSecret: string;
  connections: ConnectionRegistry;
  /** Closes the database; safe to call twice. */
  close(): void;
}

export interface ContextOverrides {
  clock?: Clock;
  log?: Logger;
  providers?: Partial<Providers>;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
}

/**
 * Opens the database (migrating it in place unless told not to) and wires the shared services.
 * Holds no module-level state: two contexts in one process are fully independent.
 */
export function createContext(config: Config, overrides: ContextOverrides = {}): AppContext {
  const clock = overrides.clock ?? systemClock;
  const log = overrides.log ?? createLogger({ level: config.logLevel, clock });
  const jwtSecret = resolveJwtSecret(config.jwtSecret, config.dataDir);
  const database = openDatabase(config.database);
  try {
    if (overrides.migrate !== false) {
      const { applied } = migrate(database.sqlite);
      if (applied.length > 0) log.info("database migrated", { database: config.database, applied });
    }
  } catch (error) {
    database.close();
    throw error;
  }
  return {
    config,
    db: database.db,
    sqlite: database.sqlite,
    clock,
    log,
    providers: {
      github: config.github,
      google: config.google,
      discord: config.discord,
      razorpay: config.razorpay,
      ...overrides.providers,
    },
    jwtSecret,
    connections: new ConnectionRegistry(),
    close: database.close,
  };
}
