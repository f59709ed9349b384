import { sql } from "drizzle-orm";
import { type AnySQLiteColumn, check, customType, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A moment, stored as epoch milliseconds in an integer column (an int8 on Postgres, whose values
 * arrive as text: read with Number). The same column definitions serve queries on both engines;
 * src/db/schema-pg.ts declares the Postgres tables for migrations.
 */
const epochMs = customType<{ data: Date; driverData: number | string }>({
  dataType: () => "integer",
  toDriver: (value) => value.getTime(),
  fromDriver: (value) => new Date(Number(value)),
});

/**
 * Every person who can sign in. Usernames and emails are unique ignoring case (the indexes are on
 * lower(...)); the displayed spelling is kept as given.
 */
export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    email: text("email"),
    /** True once a provider vouched for the address (a verified OAuth email). */
    emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
    passwordHash: text("password_hash"),
    role: text("role", { enum: ["user", "admin"] }).notNull().default("user"),
    disabled: integer("disabled", { mode: "boolean" }).notNull().default(false),
    /** Names shown beside the username (the original web client's first_name / last_name). */
    firstName: text("first_name").notNull().default(""),
    lastName: text("last_name").notNull().default(""),
    /** How the user last signed in: "local" (password) or a provider's name. */
    lastSignInProvider: text("last_sign_in_provider"),
    /**
     * Set when the account was deleted: the row stays, emptied of personal data and renamed, so
     * that the ledger and payment orders it owns are kept for accounting, detached from any person.
     */
    deletedAt: epochMs("deleted_at"),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("users_username_lower_unique").on(sql`lower(${table.username})`),
    uniqueIndex("users_email_lower_unique").on(sql`lower(${table.email})`),
    index("users_created_at_idx").on(table.createdAt),
    check("users_role_check", sql`${table.role} in ('user', 'admin')`),
  ],
);

/**
 * The profile every user has from the moment the user exists (created in the same transaction).
 * `xp` is written only by XpService; streak fields only by the rewards service.
 */
export const profiles = sqliteTable(
  "profiles",
  {
    userId: integer("user_id")
      .primaryKey()
      .references(() => users.id, { onDelete: "cascade" }),
    avatarUrl: text("avatar_url"),
    bannerUrl: text("banner_url"),
    bio: text("bio").notNull().default(""),
    timezone: text("timezone").notNull().default("UTC"),
    /** JSON object of social links: {github, linkedin, leetcode, website, …}. */
    links: text("links", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    xp: integer("xp").notNull().default(0),
    currentStreak: integer("current_streak").notNull().default(0),
    longestStreak: integer("longest_streak").notNull().default(0),
    streakFreezes: integer("streak_freezes").notNull().default(0),
    /** The user's local calendar date (YYYY-MM-DD) of the last check-in. */
    lastCheckIn: text("last_check_in"),
    referralCode: text("referral_code").notNull(),
    /** Whose referral code this user redeemed (once per user). */
    referredByUserId: integer("referred_by_user_id").references((): AnySQLiteColumn => users.id, { onDelete: "set null" }),
    referredAt: epochMs("referred_at"),
    /** Kept with the follows they count, in the same transaction. */
    followersCount: integer("followers_count").notNull().default(0),
    followingCount: integer("following_count").notNull().default(0),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (table) => [
    uniqueIndex("profiles_referral_code_unique").on(table.referralCode),
    // The leaderboard's order: most XP first, ties by the older account.
    index("profiles_leaderboard_idx").on(sql`${table.xp} DESC`, table.userId),
    check("profiles_xp_check", sql`${table.xp} >= 0`),
  ],
);

/** Who follows whom. */
export const follows = sqliteTable(
  "follows",
  {
    followerId: integer("follower_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    followeeId: integer("followee_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: epochMs("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.followerId, table.followeeId] }),
    // Someone's followers, newest first.
    index("follows_followee_idx").on(table.followeeId, table.createdAt),
    check("follows_not_self_check", sql`${table.followerId} <> ${table.followeeId}`),
  ],
);

/** A sign-in at an OAuth provider, tied to one user. */
export const identities = sqliteTable(
  "identities",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider", { enum: ["github", "google", "discord"] }).notNull(),
    providerUserId: text("provider_user_id").notNull(),
    email: text("email"),
    emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
    createdAt: epochMs("created_at").notNull(),
    lastLoginAt: epochMs("last_login_at").notNull(),
  },
  (table) => [
    uniqueIndex("identities_provider_user_unique").on(table.provider, table.providerUserId),
    index("identities_user_idx").on(table.userId),
  ],
);

/**
 * Refresh tokens, stored only as SHA-256. Each login starts a family; each refresh marks its token
 * used and adds the next one to the family. A used token presented again revokes the family.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    familyId: text("family_id").notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: epochMs("created_at").notNull(),
    expiresAt: epochMs("expires_at").notNull(),
    usedAt: epochMs("used_at"),
    revokedAt: epochMs("revoked_at"),
  },
  (table) => [
    uniqueIndex("refresh_tokens_hash_unique").on(table.tokenHash),
    index("refresh_tokens_family_idx").on(table.familyId),
    index("refresh_tokens_user_idx").on(table.userId),
  ],
);

/** A pending OAuth authorization: single use, short-lived, keyed by the SHA-256 of its state. */
export const oauthStates = sqliteTable(
  "oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    provider: text("provider", { enum: ["github", "google", "discord"] }).notNull(),
    codeVerifier: text("code_verifier").notNull(),
    nonce: text("nonce"),
    redirectUri: text("redirect_uri").notNull(),
    /**
     * Set when a signed-in user started it to join the provider to their own account: only they may
     * finish it. No foreign key: the row lives ten minutes, and finishing checks the user anyway.
     */
    linkUserId: integer("link_user_id"),
    createdAt: epochMs("created_at").notNull(),
    expiresAt: epochMs("expires_at").notNull(),
  },
  (table) => [index("oauth_states_expires_idx").on(table.expiresAt)],
);

export const XP_SOURCES = ["check_in", "purchase", "referral", "admin_adjustment", "streak_freeze_purchase", "import_adjustment"] as const;
export type XpSource = (typeof XP_SOURCES)[number];

/**
 * Every change of XP, written by XpService only, in the same transaction as the balance.
 * `(source, reference)` is unique: a repeat of the same credit finds the first entry instead.
 */
export const xpLedger = sqliteTable(
  "xp_ledger",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    amount: integer("amount").notNull(),
    source: text("source", { enum: XP_SOURCES }).notNull(),
    reference: text("reference"),
    balanceAfter: integer("balance_after").notNull(),
    /** Who caused it: "user:<id>", "admin:<username>", "system" … */
    actor: text("actor").notNull(),
    note: text("note"),
    createdAt: epochMs("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("xp_ledger_source_reference_unique").on(table.source, table.reference),
    index("xp_ledger_user_idx").on(table.userId, table.id),
    check("xp_ledger_amount_check", sql`${table.amount} <> 0`),
    check("xp_ledger_balance_check", sql`${table.balanceAfter} >= 0`),
  ],
);

/** One row per check-in: the user's local date, and what it earned. */
export const checkIns = sqliteTable(
  "check_ins",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The user's local calendar date (YYYY-MM-DD) in `timezone`. */
    date: text("date").notNull(),
    timezone: text("timezone").notNull(),
    streakDay: integer("streak_day").notNull(),
    cycleDay: integer("cycle_day").notNull(),
    xpEarned: integer("xp_earned").notNull(),
    freezesUsed: integer("freezes_used").notNull().default(0),
    createdAt: epochMs("created_at").notNull(),
  },
  // One index serves both the rule (one check-in per local date) and every read by user (newest
  // date first): a second index would be one more page written by every check-in.
  (table) => [uniqueIndex("check_ins_user_date_unique").on(table.userId, table.date)],
);

/** A Razorpay order for an XP package, and what became of it. */
export const payments = sqliteTable(
  "payments",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: text("order_id").notNull(),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    amountPaise: integer("amount_paise").notNull(),
    currency: text("currency").notNull().default("INR"),
    xp: integer("xp").notNull(),
    status: text("status", { enum: ["created", "paid", "failed"] }).notNull().default("created"),
    paymentId: text("payment_id"),
    receipt: text("receipt").notNull(),
    failureReason: text("failure_reason"),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
    paidAt: epochMs("paid_at"),
  },
  (table) => [
    uniqueIndex("payments_order_unique").on(table.orderId),
    index("payments_user_idx").on(table.userId, table.id),
    index("payments_status_idx").on(table.status, table.createdAt),
    check("payments_status_check", sql`${table.status} in ('created', 'paid', 'failed')`),
  ],
);

/** Webhook deliveries already handled, by Razorpay's event id: a redelivery is a no-op. */
export const webhookEvents = sqliteTable("webhook_events", {
  eventId: text("event_id").primaryKey(),
  event: text("event").notNull(),
  receivedAt: epochMs("received_at").notNull(),
});

/** The global chat room's messages, in order of id. */
export const chatMessages = sqliteTable(
  "chat_messages",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    message: text("message").notNull(),
    createdAt: epochMs("created_at").notNull(),
  },
  (table) => [index("chat_messages_user_idx").on(table.userId)],
);

/**
 * What `coc import-django` brought over: a row of the original's (`kind` + its id there) and the
 * row it became here. Written in the same transaction as that row, so an interrupted import
 * resumes where it stopped and a second one imports nothing twice.
 */
export const importedRows = sqliteTable(
  "imported_rows",
  {
    kind: text("kind").notNull(),
    sourceId: text("source_id").notNull(),
    targetId: integer("target_id").notNull(),
    importedAt: epochMs("imported_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.kind, table.sourceId] })],
);
