import { Database } from "bun:sqlite";
import { SQL } from "bun";
import { existsSync } from "node:fs";

/**
 * The original Code of Clans (Django) database, read-only, as rows of one shape whichever engine
 * it ran on (../shared/ORIGINAL-SCHEMA.md): columns read by name (their order differs between
 * engines), times as epoch milliseconds (SQLite's naive UTC text, Postgres's timestamptz),
 * check-in dates as the `YYYY-MM-DD` text stored, booleans as booleans, rupee amounts as numbers
 * (Postgres answers `numeric` as text).
 */

export interface SourceUser {
  id: number;
  password: string;
  isSuperuser: boolean;
  isStaff: boolean;
  isActive: boolean;
  username: string;
  firstName: string;
  lastName: string;
  email: string;
  dateJoined: number;
}

export interface SourceProfile {
  userId: number;
  provider: string;
  providerId: string;
  /** A path under the original's MEDIA_ROOT, or (before users 0003) a full URL. */
  avatar: string | null;
  banner: string | null;
  bio: string | null;
  githubUsername: string | null;
  leetcodeUsername: string | null;
  xp: number;
  streakFreezes: number;
  referralCode: string | null;
  referredById: number | null;
}

export interface SourceFollow {
  id: number;
  followerId: number;
  followingId: number;
  createdAt: number;
}

export interface SourceCheckIn {
  id: number;
  userId: number;
  date: string;
  /** The position 1–7 in the reward cycle (not the streak's length). */
  streakDay: number;
  xpEarned: number;
  createdAt: number;
}

export interface SourcePayment {
  id: number;
  userId: number;
  orderId: string;
  paymentId: string | null;
  amountRupees: number;
  xpAmount: number;
  status: string;
  createdAt: number;
}

export interface SourceChatMessage {
  id: number;
  userId: number;
  content: string;
  timestamp: number;
}

export interface DjangoData {
  engine: "sqlite" | "postgres";
  users: SourceUser[];
  profiles: SourceProfile[];
  follows: SourceFollow[];
  checkIns: SourceCheckIn[];
  payments: SourcePayment[];
  /** Null when the source has no `chat_message` table (a deployment whose chat lived in Redis). */
  chat: SourceChatMessage[] | null;
  /** Tables the importer looked for and did not find. */
  missing: string[];
}

/** SQLite's naive `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC; the fraction left out when zero). */
export function sqliteInstant(text: unknown): number {
  if (typeof text === "number") return text;
  const match = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?$/.exec(String(text).trim());
  if (!match) throw new Error(`not a date and time: ${String(text)}`);
  const [, date, time, fraction = "0", zone] = match;
  const millis = (fraction + "000").slice(0, 3);
  const ms = Date.parse(`${date}T${time!.length === 5 ? `${time}:00` : time}.${millis}${zone ? zone.replace(/^([+-]\d{2})(\d{2})$/, "$1:$2") : "Z"}`);
  if (Number.isNaN(ms)) throw new Error(`not a date and time: ${String(text)}`);
  return ms;
}

const bool = (value: unknown) => value === true || value === 1 || value === "1" || value === "t" || value === "true";
const num = (value: unknown) => Number(value);
const textOrNull = (value: unknown) => (value === null || value === undefined ? null : String(value));

interface Reader {
  engine: "sqlite" | "postgres";
  tables(): Promise<Set<string>>;
  columns(table: string): Promise<Set<string>>;
  /** Rows of `SELECT <columns> FROM <table>`: each column an expression for this engine, named as the key. */
  select(table: string, columns: Record<string, string>, orderBy: string): Promise<Record<string, unknown>[]>;
  instant(column: string): string;
  close(): Promise<void>;
}

function sqliteReader(file: string): Reader {
  if (!existsSync(file)) throw new Error(`no such file: ${file}`);
  const db = new Database(file, { readonly: true });
  return {
    engine: "sqlite",
    async tables() {
      return new Set(db.query<{ name: string }, []>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name));
    },
    async columns(table) {
      return new Set(db.query<{ name: string }, []>(`PRAGMA table_info("${table}")`).all().map((row) => row.name));
    },
    async select(table, columns, orderBy) {
      const list = Object.entries(columns).map(([key, expression]) => `${expression} AS "${key}"`);
      return db.query(`SELECT ${list.join(", ")} FROM "${table}" ORDER BY ${orderBy}`).all() as Record<string, unknown>[];
    },
    instant: (column) => `"${column}"`,
    async close() {
      db.close();
    },
  };
}

function postgresReader(url: string): Reader {
  // One connection, read-only for its whole life: the source is never written.
  const sql = new SQL({ url, max: 1, idleTimeout: 30 });
  let ready: Promise<unknown> | undefined;
  const run = async (text: string) => {
    ready ??= sql.unsafe("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
    await ready;
    return [...((await sql.unsafe(text)) as Record<string, unknown>[])];
  };
  return {
    engine: "postgres",
    async tables() {
      return new Set((await run("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")).map((row) => String(row.table_name)));
    },
    async columns(table) {
      const rows = await run(`SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${table.replaceAll("'", "''")}'`);
      return new Set(rows.map((row) => String(row.column_name)));
    },
    async select(table, columns, orderBy) {
      const list = Object.entries(columns).map(([key, expression]) => `${expression} AS "${key}"`);
      return run(`SELECT ${list.join(", ")} FROM "${table}" ORDER BY ${orderBy}`);
    },
    // An instant as epoch milliseconds, whatever the session's time zone.
    instant: (column) => `(extract(epoch FROM "${column}") * 1000)::float8`,
    async close() {
      await sql.close();
    },
  };
}

/** Whether `source` names a PostgreSQL database (else it is a SQLite file). */
export function isPostgresSource(source: string): boolean {
  return /^postgres(ql)?:\/\//i.test(source);
}

/** Reads every table the importer needs from the original's database; writes nothing there. */
export async function readDjango(source: string): Promise<DjangoData> {
  const reader = isPostgresSource(source) ? postgresReader(source) : sqliteReader(source);
  try {
    const tables = await reader.tables();
    if (!tables.has("auth_user")) throw new Error("no auth_user table: this is not the original Code of Clans database");
    const missing = ["users_userprofile", "users_userfollow", "rewards_dailycheckin", "payments_payment", "chat_message"].filter((table) => !tables.has(table));
    const pg = reader.engine === "postgres";
    const t = reader.instant;
    const asText = (column: string) => (pg ? `"${column}"::text` : `"${column}"`);

    const users = (
      await reader.select(
        "auth_user",
        { id: '"id"', password: '"password"', is_superuser: '"is_superuser"', is_staff: '"is_staff"', is_active: '"is_active"', username: '"username"', first_name: '"first_name"', last_name: '"last_name"', email: '"email"', date_joined: t("date_joined") },
        '"id"',
      )
    ).map(
      (row): SourceUser => ({
        id: num(row.id),
        password: String(row.password ?? ""),
        isSuperuser: bool(row.is_superuser),
        isStaff: bool(row.is_staff),
        isActive: bool(row.is_active),
        username: String(row.username),
        firstName: String(row.first_name ?? ""),
        lastName: String(row.last_name ?? ""),
        email: String(row.email ?? ""),
        dateJoined: pg ? num(row.date_joined) : sqliteInstant(row.date_joined),
      }),
    );

    let profiles: SourceProfile[] = [];
    if (tables.has("users_userprofile")) {
      const have = await reader.columns("users_userprofile");
      const pick = (name: string, fallback = "NULL") => (have.has(name) ? `"${name}"` : fallback);
      profiles = (
        await reader.select(
          "users_userprofile",
          {
            user_id: '"user_id"',
            provider: pick("provider", "'local'"),
            provider_id: pick("provider_id", "''"),
            // Before users 0003 the pictures were URLs (avatar_url, banner_url).
            avatar: have.has("avatar") ? '"avatar"' : pick("avatar_url"),
            banner: have.has("banner") ? '"banner"' : pick("banner_url"),
            bio: pick("bio"),
            github_username: pick("github_username"),
            leetcode_username: pick("leetcode_username"),
            xp: pick("xp", "0"),
            streak_freezes: pick("streak_freezes", "0"),
            referral_code: pick("referral_code"),
            referred_by_id: pick("referred_by_id"),
          },
          '"user_id"',
        )
      ).map(
        (row): SourceProfile => ({
          userId: num(row.user_id),
          provider: String(row.provider ?? "local"),
          providerId: String(row.provider_id ?? ""),
          avatar: textOrNull(row.avatar) || null,
          banner: textOrNull(row.banner) || null,
          bio: textOrNull(row.bio),
          githubUsername: textOrNull(row.github_username) || null,
          leetcodeUsername: textOrNull(row.leetcode_username) || null,
          xp: num(row.xp ?? 0),
          streakFreezes: num(row.streak_freezes ?? 0),
          referralCode: textOrNull(row.referral_code) || null,
          referredById: row.referred_by_id === null || row.referred_by_id === undefined ? null : num(row.referred_by_id),
        }),
      );
    }

    const follows = tables.has("users_userfollow")
      ? (await reader.select("users_userfollow", { id: '"id"', follower_id: '"follower_id"', following_id: '"following_id"', created_at: t("created_at") }, '"id"')).map(
          (row): SourceFollow => ({
            id: num(row.id),
            followerId: num(row.follower_id),
            followingId: num(row.following_id),
            createdAt: pg ? num(row.created_at) : sqliteInstant(row.created_at),
          }),
        )
      : [];

    const checkIns = tables.has("rewards_dailycheckin")
      ? (
          await reader.select(
            "rewards_dailycheckin",
            { id: '"id"', user_id: '"user_id"', check_in_date: asText("check_in_date"), streak_day: '"streak_day"', xp_earned: '"xp_earned"', created_at: t("created_at") },
            '"user_id", "check_in_date", "id"',
          )
        ).map(
          (row): SourceCheckIn => ({
            id: num(row.id),
            userId: num(row.user_id),
            // The stored date (India's calendar, see the schema notes), never recomputed.
            date: String(row.check_in_date).slice(0, 10),
            streakDay: num(row.streak_day),
            xpEarned: num(row.xp_earned),
            createdAt: pg ? num(row.created_at) : sqliteInstant(row.created_at),
          }),
        )
      : [];

    const payments = tables.has("payments_payment")
      ? (
          await reader.select(
            "payments_payment",
            {
              id: '"id"',
              user_id: '"user_id"',
              razorpay_order_id: '"razorpay_order_id"',
              razorpay_payment_id: '"razorpay_payment_id"',
              amount: asText("amount"),
              xp_amount: '"xp_amount"',
              status: '"status"',
              created_at: t("created_at"),
            },
            '"id"',
          )
        ).map(
          (row): SourcePayment => ({
            id: num(row.id),
            userId: num(row.user_id),
            orderId: String(row.razorpay_order_id),
            paymentId: textOrNull(row.razorpay_payment_id) || null,
            amountRupees: Number(row.amount),
            xpAmount: num(row.xp_amount),
            status: String(row.status),
            createdAt: pg ? num(row.created_at) : sqliteInstant(row.created_at),
          }),
        )
      : [];

    const chat = tables.has("chat_message")
      ? (await reader.select("chat_message", { id: '"id"', user_id: '"user_id"', content: '"content"', timestamp: t("timestamp") }, '"timestamp", "id"')).map(
          (row): SourceChatMessage => ({
            id: num(row.id),
            userId: num(row.user_id),
            content: String(row.content ?? ""),
            timestamp: pg ? num(row.timestamp) : sqliteInstant(row.timestamp),
          }),
        )
      : null;

    return { engine: reader.engine, users, profiles, follows, checkIns, payments, chat, missing };
  } finally {
    await reader.close();
  }
}
