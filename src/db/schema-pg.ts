import { sql } from "drizzle-orm";
import { type AnyPgColumn, bigint, check, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";

/**
 * The Postgres tables, for drizzle-kit's migrations (drizzle-pg/). They store every column as
 * src/db/schema.ts does on SQLite — moments as epoch milliseconds (int8), flags as 0/1 integers,
 * JSON as text — so one set of queries (and of hand-written statements) answers the same rows on
 * both engines, and the services never ask which one they run on. test/db/schema.test.ts checks
 * that the two declare the same tables, columns, nullability, keys and indexes.
 */

const ms = (name: string) => bigint(name, { mode: "number" });
/** 0 or 1, as on SQLite. */
const flag = (name: string) => integer(name).notNull().default(0);

export const users = pgTable(
  "users",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    username: text("username").notNull(),
    email: text("email"),
    emailVerified: flag("email_verified"),
    passwordHash: text("password_hash"),
    role: text("role").notNull().default("user"),
    disabled: flag("disabled"),
    firstName: text("first_name").notNull().default(""),
    lastName: text("last_name").notNull().default(""),
    lastSignInProvider: text("last_sign_in_provider"),
    deletedAt: ms("deleted_at"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("users_username_lower_unique").on(sql`lower(${table.username})`),
    uniqueIndex("users_email_lower_unique").on(sql`lower(${table.email})`),
    index("users_created_at_idx").on(table.createdAt),
    check("users_role_check", sql`${table.role} in ('user', 'admin')`),
  ],
);

export const profiles = pgTable(
  "profiles",
  {
    userId: integer("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    avatarUrl: text("avatar_url"),
    bannerUrl: text("banner_url"),
    bio: text("bio").notNull().default(""),
    timezone: text("timezone").notNull().default("UTC"),
    links: text("links").notNull().default("{}"),
    xp: integer("xp").notNull().default(0),
    currentStreak: integer("current_streak").notNull().default(0),
    longestStreak: integer("longest_streak").notNull().default(0),
    streakFreezes: integer("streak_freezes").notNull().default(0),
    lastCheckIn: text("last_check_in"),
    referralCode: text("referral_code").notNull(),
    referredByUserId: integer("referred_by_user_id").references((): AnyPgColumn => users.id, { onDelete: "set null" }),
    referredAt: ms("referred_at"),
    followersCount: integer("followers_count").notNull().default(0),
    followingCount: integer("following_count").notNull().default(0),
    updatedAt: ms("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("profiles_referral_code_unique").on(table.referralCode),
    index("profiles_leaderboard_idx").on(sql`${table.xp} DESC`, table.userId),
    check("profiles_xp_check", sql`${table.xp} >= 0`),
  ],
);

export const follows = pgTable(
  "follows",
  {
    followerId: integer("follower_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    followeeId: integer("followee_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: ms("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.followerId, table.followeeId] }),
    index("follows_followee_idx").on(table.followeeId, table.createdAt),
    check("follows_not_self_check", sql`${table.followerId} <> ${table.followeeId}`),
  ],
);

export const identities = pgTable(
  "identities",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    providerUserId: text("provider_user_id").notNull(),
    email: text("email"),
    emailVerified: flag("email_verified"),
    createdAt: ms("created_at").notNull(),
    lastLoginAt: ms("last_login_at").notNull(),
  },
  (table) => [uniqueIndex("identities_provider_user_unique").on(table.provider, table.providerUserId), index("identities_user_idx").on(table.userId)],
);

export const refreshTokens = pgTable(
  "refresh_tokens",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
    usedAt: ms("used_at"),
    revokedAt: ms("revoked_at"),
  },
  (table) => [
    uniqueIndex("refresh_tokens_hash_unique").on(table.tokenHash),
    index("refresh_tokens_family_idx").on(table.familyId),
    index("refresh_tokens_user_idx").on(table.userId),
  ],
);

export const oauthStates = pgTable(
  "oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    provider: text("provider").notNull(),
    codeVerifier: text("code_verifier").notNull(),
    nonce: text("nonce"),
    redirectUri: text("redirect_uri").notNull(),
    linkUserId: integer("link_user_id"),
    createdAt: ms("created_at").notNull(),
    expiresAt: ms("expires_at").notNull(),
  },
  (table) => [index("oauth_states_expires_idx").on(table.expiresAt)],
);

export const xpLedger = pgTable(
  "xp_ledger",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    amount: integer("amount").notNull(),
    source: text("source").notNull(),
    reference: text("reference"),
    balanceAfter: integer("balance_after").notNull(),
    actor: text("actor").notNull(),
    note: text("note"),
    createdAt: ms("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("xp_ledger_source_reference_unique").on(table.source, table.reference),
    index("xp_ledger_user_idx").on(table.userId, table.id),
    check("xp_ledger_amount_check", sql`${table.amount} <> 0`),
    check("xp_ledger_balance_check", sql`${table.balanceAfter} >= 0`),
  ],
);

export const checkIns = pgTable(
  "check_ins",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    date: text("date").notNull(),
    timezone: text("timezone").notNull(),
    streakDay: integer("streak_day").notNull(),
    cycleDay: integer("cycle_day").notNull(),
    xpEarned: integer("xp_earned").notNull(),
    freezesUsed: integer("freezes_used").notNull().default(0),
    createdAt: ms("created_at").notNull(),
  },
  (table) => [uniqueIndex("check_ins_user_date_unique").on(table.userId, table.date)],
);

export const payments = pgTable(
  "payments",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    orderId: text("order_id").notNull(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    amountPaise: integer("amount_paise").notNull(),
    currency: text("currency").notNull().default("INR"),
    xp: integer("xp").notNull(),
    status: text("status").notNull().default("created"),
    paymentId: text("payment_id"),
    receipt: text("receipt").notNull(),
    failureReason: text("failure_reason"),
    createdAt: ms("created_at").notNull(),
    updatedAt: ms("updated_at").notNull(),
    paidAt: ms("paid_at"),
  },
  (table) => [
    uniqueIndex("payments_order_unique").on(table.orderId),
    index("payments_user_idx").on(table.userId, table.id),
    index("payments_status_idx").on(table.status, table.createdAt),
    check("payments_status_check", sql`${table.status} in ('created', 'paid', 'failed')`),
  ],
);

export const webhookEvents = pgTable("webhook_events", {
  eventId: text("event_id").primaryKey(),
  event: text("event").notNull(),
  receivedAt: ms("received_at").notNull(),
});

export const chatMessages = pgTable(
  "chat_messages",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    message: text("message").notNull(),
    createdAt: ms("created_at").notNull(),
  },
  (table) => [index("chat_messages_user_idx").on(table.userId)],
);

export const importedRows = pgTable(
  "imported_rows",
  {
    kind: text("kind").notNull(),
    sourceId: text("source_id").notNull(),
    targetId: integer("target_id").notNull(),
    importedAt: ms("imported_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.kind, table.sourceId] })],
);
