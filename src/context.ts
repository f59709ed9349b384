import type { Database } from "bun:sqlite";
import { join } from "node:path";
import { AuthService } from "./auth/auth-service.ts";
import type { LoginThrottles } from "./auth/login-gate.ts";
import { OAuthService } from "./auth/oauth-service.ts";
import { type PasswordCost, PasswordHasher } from "./auth/password.ts";
import { TokenService } from "./auth/token-service.ts";
import { type Clock, systemClock } from "./clock.ts";
import type { Config } from "./config.ts";
import { type Db, openDatabase } from "./db/client.ts";
import { migratePostgres, openPostgres } from "./db/postgres.ts";
import { SqliteStore, type Store } from "./db/store.ts";
import type { Writer } from "./db/writer.ts";
import { Metrics } from "./metrics.ts";
import { RedisThrottleStore } from "./throttle/redis-store.ts";
import { LocalRelay, RedisRelay } from "./chat/relay.ts";
import { MemoryThrottleStore, type ThrottleStore } from "./throttle/store.ts";
import { RedisClient, type SQL } from "bun";
import { DatabaseHealth } from "./db/health.ts";
import { migrate } from "./db/migrate.ts";
import { ChatService } from "./chat/chat-service.ts";
import { ChatHub, type HubOptions } from "./chat/hub.ts";
import { ConnectionRegistry } from "./http/connections.ts";
import { createLogger, type Logger } from "./log.ts";
import { PaymentService } from "./payments/payment-service.ts";
import { createOAuthProviders, type OAuthProvider, type ProviderName } from "./providers/oauth/index.ts";
import { createRazorpayGateway, RAZORPAY_TIMEOUT_MS, type RazorpayGateway } from "./providers/razorpay/gateway.ts";
import { RewardsService } from "./rewards/rewards-service.ts";
import { resolveJwtSecret } from "./secrets.ts";
import { AccountService } from "./users/account-service.ts";
import { FollowService } from "./users/follow-service.ts";
import { ProfileService } from "./users/profile-service.ts";
import { ReferralService } from "./users/referral-service.ts";
import { UserService } from "./users/user-service.ts";
import { MediaStore } from "./web/media-store.ts";
import { DjangoImporter } from "./import/django-import.ts";
import { XpService } from "./xp/xp-service.ts";

/** The outside services the product talks to; an absent one is off. */
export interface Providers {
  oauth: Partial<Record<ProviderName, OAuthProvider>>;
  razorpay: RazorpayGateway | null;
}

/** The product's services: the HTTP routes, the WebSocket and the CLI all call these. */
export interface Services {
  users: UserService;
  profiles: ProfileService;
  follows: FollowService;
  accounts: AccountService;
  media: MediaStore;
  xp: XpService;
  referrals: ReferralService;
  rewards: RewardsService;
  payments: PaymentService;
  chat: ChatService;
  chatHub: ChatHub;
  passwords: PasswordHasher;
  tokens: TokenService;
  auth: AuthService;
  oauth: OAuthService;
  health: DatabaseHealth;
  /** Where throttles count: this process, or Redis. */
  throttles: ThrottleStore;
  /** `coc import-django`: the original service's community, brought in. */
  djangoImport: DjangoImporter;
}

/** Everything the server, the CLI and a test share: built once per process (or per test). */
export interface AppContext {
  config: Config;
  engine: "sqlite" | "postgres";
  /** The write side, through drizzle and as a Store: admin commands and tests' fixtures. Services write through the writer. */
  db: Db;
  store: Store;
  /** The SQLite write connection (backups, PRAGMAs), or null on Postgres. */
  sqlite: Database | null;
  /** The Postgres pool, or null on SQLite. */
  postgres: SQL | null;
  /** Group commit: the one writer of the database (see Writer). */
  writer: Writer;
  /** What GET /metrics reports. */
  metrics: Metrics;
  /** The Redis connection shared by every instance (COC_REDIS_URL), or null. */
  redis: RedisClient | null;
  clock: Clock;
  log: Logger;
  providers: Providers;
  services: Services;
  connections: ConnectionRegistry;
  /** Commits what is queued and closes the database (and Redis); safe to call twice. */
  close(): Promise<void>;
}

/** How long one request to an OAuth provider may take by default. */
export const PROVIDER_TIMEOUT_MS = 10_000;

export interface ContextOverrides {
  clock?: Clock;
  log?: Logger;
  providers?: Partial<Providers>;
  /** Apply pending migrations on open (default true). */
  migrate?: boolean;
  /** argon2id cost (tests use a cheap one; production keeps Bun's defaults). */
  passwordCost?: PasswordCost;
  providerTimeoutMs?: number;
  razorpayTimeoutMs?: number;
  loginThrottles?: LoginThrottles;
  /** Most OAuth sign-ins pending at once (tests use a small one). */
  maxPendingSignIns?: number;
  chat?: Partial<HubOptions>;
}

/** The database of a context, whichever the engine. */
interface Engine {
  engine: "sqlite" | "postgres";
  reader: Store;
  writer: Writer;
  /** The write side's query builder and statements, for admin commands and tests' fixtures. */
  db: Db;
  store: Store;
  sqlite: Database | null;
  postgres: SQL | null;
  close(): Promise<void>;
}

/** Opens the SQLite file, or Postgres when COC_DATABASE_URL is set; migrates it in place unless told not to. */
async function openEngine(config: Config, log: Logger, migrating: boolean): Promise<Engine> {
  if (config.databaseUrl) {
    const pg = openPostgres(config.databaseUrl, log, config.databasePool);
    try {
      if (migrating) {
        const { applied } = await migratePostgres(pg.sql);
        if (applied.length > 0) log.info("database migrated", { database: "postgres", applied });
      }
    } catch (error) {
      await pg.close();
      throw error;
    }
    return { engine: "postgres", reader: pg.reader, writer: pg.writer, db: pg.reader.db, store: pg.reader, sqlite: null, postgres: pg.sql, close: pg.close };
  }
  const database = openDatabase(config.database);
  try {
    if (migrating) {
      const { applied } = migrate(database.sqlite);
      if (applied.length > 0) log.info("database migrated", { database: config.database, applied });
    }
  } catch (error) {
    await database.close();
    throw error;
  }
  const store = new SqliteStore(database.sqlite, database.writer.db, null);
  return { engine: "sqlite", reader: database.reader, writer: database.writer, db: database.writer.db, store, sqlite: database.sqlite, postgres: null, close: database.close };
}

/**
 * Opens the database (migrating it in place unless told not to) and wires the shared services.
 * Holds no module-level state: two contexts in one process are fully independent.
 */
export async function createContext(config: Config, overrides: ContextOverrides = {}): Promise<AppContext> {
  const clock = overrides.clock ?? systemClock;
  // The server's log: lines held back for up to 100 ms and written together (errors at once).
  const log = overrides.log ?? createLogger({ level: config.logLevel, clock, bufferMs: 100 });
  const jwtSecret = resolveJwtSecret(config.jwtSecret, config.dataDir);
  const database = await openEngine(config, log, overrides.migrate !== false);
  const { reader, writer } = database;
  const metrics = new Metrics();
  // Shared by every instance when COC_REDIS_URL is set; this process's own otherwise.
  const redis = config.redisUrl ? new RedisClient(config.redisUrl) : null;
  const throttles: ThrottleStore = redis ? new RedisThrottleStore(redis, clock, log, config.redisPrefix) : new MemoryThrottleStore(clock);
  writer.observe((size, failedUnits, batchFailed) => metrics.batch(size, failedUnits, batchFailed));
  const providers: Providers = {
    oauth: createOAuthProviders(config, { clock, log, timeoutMs: overrides.providerTimeoutMs ?? PROVIDER_TIMEOUT_MS }),
    razorpay: config.razorpay ? createRazorpayGateway(config.razorpay, log, overrides.razorpayTimeoutMs ?? RAZORPAY_TIMEOUT_MS) : null,
    ...overrides.providers,
  };
  const users = new UserService({ reader, writer, clock });
  const media = new MediaStore(join(config.dataDir, "media"), config.maxUploadBytes);
  const profiles = new ProfileService({ reader, writer, clock, users, media });
  const follows = new FollowService({ reader, writer, clock, users });
  const xp = new XpService({ reader, writer, clock, metrics });
  const passwords = new PasswordHasher(overrides.passwordCost);
  const tokens = new TokenService({
    reader,
    writer,
    clock,
    secret: jwtSecret,
    accessTtlSeconds: config.accessTtlSeconds,
    refreshTtlSeconds: config.refreshTtlSeconds,
  });
  const chat = new ChatService({ reader, writer, clock, metrics });
  const services: Services = {
    users,
    profiles,
    follows,
    accounts: new AccountService({ writer, clock, log, follows, media }),
    media,
    xp,
    referrals: new ReferralService({ writer, clock, xp, metrics, dailyCap: config.referralDailyCap }),
    rewards: new RewardsService({ reader, writer, clock, xp, metrics, config: config.rewards }),
    payments: new PaymentService({ reader, writer, clock, log, xp, metrics, packages: config.packages, gateway: providers.razorpay }),
    chat,
    chatHub: new ChatHub({
      chat,
      clock,
      log,
      throttles,
      relay: redis ? new RedisRelay(redis, () => new RedisClient(config.redisUrl!), clock, log, config.redisPrefix) : new LocalRelay(),
      refusal: (caller) => tokens.refusal(caller),
      authenticate: (token) => tokens.userOf(tokens.verifyAccess(token)),
      options: { rate: config.chatRate, ...overrides.chat },
    }),
    passwords,
    tokens,
    auth: new AuthService({
      writer,
      clock,
      log,
      users,
      profiles,
      tokens,
      passwords,
      throttles: overrides.loginThrottles,
      throttleStore: throttles,
      registrationsPerAddress: config.registrationsPerAddress,
    }),
    oauth: new OAuthService({
      writer,
      clock,
      log,
      providers: providers.oauth,
      users,
      profiles,
      tokens,
      redirectUris: config.oauthRedirectUris,
      startsPerAddress: config.oauthStartsPerAddress,
      throttleStore: throttles,
      maxPending: overrides.maxPendingSignIns,
    }),
    health: new DatabaseHealth(reader),
    throttles,
    djangoImport: new DjangoImporter({ reader, writer, clock, log, xp, media }),
  };
  const connections = new ConnectionRegistry();
  metrics.watch({ openSockets: () => connections.size, chatUsers: () => services.chatHub.userCount });
  return {
    config,
    engine: database.engine,
    db: database.db,
    store: database.store,
    sqlite: database.sqlite,
    postgres: database.postgres,
    writer,
    metrics,
    clock,
    log,
    providers,
    services,
    connections,
    redis,
    async close() {
      await database.close();
      redis?.close();
    },
  };
}
