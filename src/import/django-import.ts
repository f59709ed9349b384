import { existsSync, readFileSync, realpathSync } from "node:fs";
import { resolve, sep } from "node:path";
import { and, eq, inArray, sql } from "drizzle-orm";
import { DJANGO_PBKDF2 } from "../auth/password.ts";
import type { Clock } from "../clock.ts";
import { chatMessages, checkIns, follows, identities, importedRows, payments, profiles, users } from "../db/schema.ts";
import { first, type Store, type Tx } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import type { Logger } from "../log.ts";
import { generateReferralCode } from "../users/user-service.ts";
import type { MediaFolder, MediaStore } from "../web/media-store.ts";
import type { XpService } from "../xp/xp-service.ts";
import type { DjangoData, SourceCheckIn, SourceProfile, SourceUser } from "./django-source.ts";

/** What one kind of row came to: brought over now, already here (or not importable), renamed, adjusted. */
export interface KindReport {
  imported: number;
  skipped: number;
  renamed: number;
  adjusted: number;
}

export const IMPORT_KINDS = ["users", "identities", "referrals", "follows", "check_ins", "payments", "chat_messages", "xp"] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

export interface ImportReport {
  dryRun: boolean;
  kinds: Record<ImportKind, KindReport>;
  /** Usernames that had to change (taken here, or differing from another only by case). */
  renamed: { from: string; to: string }[];
  /** Everything else worth a line: dropped e-mails, pictures left behind, rows that point nowhere. */
  notes: string[];
  /** True when nothing at all was (or, for a dry run, would be) written. */
  nothingNew: boolean;
}

export interface ImportOptions {
  dryRun?: boolean;
  /** The original's MEDIA_ROOT: avatars and banners are copied from it. */
  mediaDir?: string | null;
  /** The original's public base URL: pictures not copied keep `<url>/media/<path>`. */
  mediaUrl?: string | null;
  /** Rows handled per transaction. */
  batchSize?: number;
  onProgress?: (step: string, done: number, total: number) => void;
}

/** The original kept no timezone per user: its dates are India's calendar (Asia/Kolkata). */
export const ORIGINAL_TIMEZONE = "Asia/Kolkata";
/** Bios the original's signal wrote, not its users. */
const PLACEHOLDER_BIOS = new Set(["User", "Administrator"]);
const MAX_USERNAME = 150;
const DAY_MS = 86_400_000;

const emptyReport = (dryRun: boolean): ImportReport => ({
  dryRun,
  kinds: Object.fromEntries(IMPORT_KINDS.map((kind) => [kind, { imported: 0, skipped: 0, renamed: 0, adjusted: 0 }])) as Record<ImportKind, KindReport>,
  renamed: [],
  notes: [],
  nothingNew: true,
});

/** Thrown inside a dry run's unit so that nothing it wrote stands. */
class DryRun extends Error {}

function dayNumber(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

/**
 * A user's check-ins with the streak length at each (the original stored only the 1–7 cycle
 * position): consecutive dates continue the streak; a gap of exactly one day continues it when
 * the cycle went on there (the original spent a freeze for it, and recorded only that); any other
 * gap starts again at 1.
 */
export function streakChain(rows: readonly SourceCheckIn[]): { row: SourceCheckIn; streak: number; freezeUsed: boolean }[] {
  const out: { row: SourceCheckIn; streak: number; freezeUsed: boolean }[] = [];
  let previous: SourceCheckIn | null = null;
  let streak = 0;
  for (const row of [...rows].sort((a, b) => a.date.localeCompare(b.date))) {
    const gap = previous ? dayNumber(row.date) - dayNumber(previous.date) : null;
    let freezeUsed = false;
    if (gap === 1) streak += 1;
    else if (gap === 2 && previous && row.streakDay === (previous.streakDay % 7) + 1) {
      streak += 1;
      freezeUsed = true;
    } else streak = 1;
    out.push({ row, streak, freezeUsed });
    previous = row;
  }
  return out;
}

/**
 * `coc import-django`: brings the original service's community in (../shared/ORIGINAL-SCHEMA.md)
 * through this service's own writer, whichever engine either side runs on. Every row brought over
 * is recorded in `imported_rows` in the same transaction, and every XP entry carries a reference
 * naming its source row: a second run imports nothing new, an interrupted one resumes, and a
 * server running on the same database keeps working meanwhile.
 */
export class DjangoImporter {
  constructor(
    private readonly deps: { reader: Store; writer: Writer; clock: Clock; log: Logger; xp: XpService; media: MediaStore },
  ) {}

  async run(data: DjangoData, options: ImportOptions = {}): Promise<ImportReport> {
    const report = emptyReport(options.dryRun === true);
    const batchSize = options.batchSize ?? 200;
    const progress = options.onProgress ?? (() => undefined);
    for (const table of data.missing) report.notes.push(`the source has no ${table} table: nothing of it to import`);

    // What earlier runs brought over: kind → source id → id here.
    const done = new Map<string, Map<string, number>>();
    this.deps.reader.enter();
    for (const row of await this.deps.reader.db.select().from(importedRows)) {
      let kind = done.get(row.kind);
      if (!kind) done.set(row.kind, (kind = new Map()));
      kind.set(row.sourceId, row.targetId);
    }
    const mapOf = (kind: string) => {
      let map = done.get(kind);
      if (!map) done.set(kind, (map = new Map()));
      return map;
    };
    const userIds = mapOf("user");
    const profileOf = new Map(data.profiles.map((profile) => [profile.userId, profile]));

    /** Runs `work` over `items` in batches, each batch one unit (rolled back in a dry run). */
    const inBatches = async <T>(step: string, items: T[], work: (tx: Tx, item: T) => Promise<void>) => {
      for (let i = 0; i < items.length; i += batchSize) {
        const batch = items.slice(i, i + batchSize);
        try {
          await this.deps.writer.run(async (tx) => {
            for (const item of batch) await work(tx, item);
            if (report.dryRun) throw new DryRun();
          });
        } catch (error) {
          if (!(error instanceof DryRun)) throw error;
        }
        progress(step, Math.min(i + batch.length, items.length), items.length);
      }
      if (items.length === 0) progress(step, 0, 0);
    };
    const record = async (tx: Tx, kind: string, sourceId: string | number, targetId: number) => {
      await tx.db.insert(importedRows).values({ kind, sourceId: String(sourceId), targetId, importedAt: this.deps.clock.now() });
      mapOf(kind).set(String(sourceId), targetId);
      report.nothingNew = false;
    };
    // In a dry run nothing stands, so later steps see planned ids (negative: never real ones).
    let planned = 0;

    // 1. Users, with their profile and their OAuth identity.
    const newUsers = data.users.filter((user) => !userIds.has(String(user.id)));
    report.kinds.users.skipped += data.users.length - newUsers.length;
    const takenNames = new Set<string>();
    const takenEmails = new Set<string>();
    await inBatches("users", newUsers, async (tx, source) => {
      const id = await this.#importUser(tx, source, profileOf.get(source.id) ?? null, report, options, takenNames, takenEmails);
      if (report.dryRun) {
        userIds.set(String(source.id), --planned);
        report.nothingNew = false;
      } else await record(tx, "user", source.id, id);
    });

    // 2. Who referred whom (the referrer may come later in the table than the one referred).
    const referrals = data.profiles.filter((profile) => profile.referredById !== null && !mapOf("referral").has(String(profile.userId)));
    report.kinds.referrals.skipped += data.profiles.filter((profile) => profile.referredById !== null).length - referrals.length;
    await inBatches("referrals", referrals, async (tx, profile) => {
      const userId = userIds.get(String(profile.userId));
      const referrerId = userIds.get(String(profile.referredById));
      if (userId === undefined || referrerId === undefined) {
        report.kinds.referrals.skipped++;
        return;
      }
      report.kinds.referrals.imported++;
      if (report.dryRun) return;
      await tx.db.update(profiles).set({ referredByUserId: referrerId }).where(and(eq(profiles.userId, userId), sql`${profiles.referredByUserId} IS NULL`));
      await record(tx, "referral", profile.userId, referrerId);
    });

    // 3. Follows, then every imported profile's counts from the follows table.
    const followMap = mapOf("follow");
    const newFollows = data.follows.filter((follow) => !followMap.has(String(follow.id)));
    report.kinds.follows.skipped += data.follows.length - newFollows.length;
    const counted = new Set<number>();
    await inBatches("follows", newFollows, async (tx, follow) => {
      const followerId = userIds.get(String(follow.followerId));
      const followeeId = userIds.get(String(follow.followingId));
      if (followerId === undefined || followeeId === undefined || followerId === followeeId) {
        report.kinds.follows.skipped++;
        return;
      }
      report.kinds.follows.imported++;
      if (report.dryRun) return;
      await tx.db.insert(follows).values({ followerId, followeeId, createdAt: new Date(follow.createdAt) }).onConflictDoNothing();
      await record(tx, "follow", follow.id, followerId);
      counted.add(followerId);
      counted.add(followeeId);
    });
    if (counted.size > 0) {
      await this.deps.writer.run(async (tx) => {
        const ids = [...counted];
        for (let i = 0; i < ids.length; i += 500) {
          const some = ids.slice(i, i + 500);
          await tx.db
            .update(profiles)
            .set({
              followersCount: sql`(SELECT count(*) FROM ${follows} WHERE ${follows.followeeId} = ${profiles.userId})`,
              followingCount: sql`(SELECT count(*) FROM ${follows} WHERE ${follows.followerId} = ${profiles.userId})`,
            })
            .where(inArray(profiles.userId, some));
        }
      });
    }

    // 4. Check-ins, per member: the rows as stored, the streak recomputed, an XP entry each.
    const checkInMap = mapOf("check_in");
    const byUser = new Map<number, SourceCheckIn[]>();
    for (const row of data.checkIns) {
      const list = byUser.get(row.userId);
      if (list) list.push(row);
      else byUser.set(row.userId, [row]);
    }
    const members = [...byUser.entries()];
    let checkInsDone = 0;
    for (let i = 0; i < members.length; i += Math.max(1, Math.floor(batchSize / 20))) {
      const some = members.slice(i, i + Math.max(1, Math.floor(batchSize / 20)));
      try {
        await this.deps.writer.run(async (tx) => {
          for (const [sourceUserId, rows] of some) await this.#importCheckIns(tx, sourceUserId, rows, userIds, checkInMap, report, record);
          if (report.dryRun) throw new DryRun();
        });
      } catch (error) {
        if (!(error instanceof DryRun)) throw error;
      }
      checkInsDone += some.reduce((n, [, rows]) => n + rows.length, 0);
      progress("check-ins", checkInsDone, data.checkIns.length);
    }
    if (members.length === 0) progress("check-ins", 0, 0);

    // 5. Payment orders with their states; a successful one credits its XP (reference: the order id, as our own purchases).
    const paymentMap = mapOf("payment");
    const newPayments = data.payments.filter((payment) => !paymentMap.has(String(payment.id)));
    report.kinds.payments.skipped += data.payments.length - newPayments.length;
    await inBatches("payments", newPayments, async (tx, payment) => {
      const userId = userIds.get(String(payment.userId));
      const taken = first(await tx.db.select({ id: payments.id }).from(payments).where(eq(payments.orderId, payment.orderId)));
      if (userId === undefined || taken) {
        report.kinds.payments.skipped++;
        if (taken) report.notes.push(`payment ${payment.id}: order ${payment.orderId} is already here; left as it is`);
        return;
      }
      report.kinds.payments.imported++;
      if (report.dryRun) return;
      const status = payment.status === "success" ? "paid" : payment.status === "failed" ? "failed" : "created";
      const at = new Date(payment.createdAt);
      const [row] = await tx.db
        .insert(payments)
        .values({
          orderId: payment.orderId,
          userId,
          amountPaise: Math.round(payment.amountRupees * 100),
          currency: "INR",
          xp: payment.xpAmount,
          status,
          paymentId: payment.paymentId,
          receipt: `django-payment-${payment.id}`,
          createdAt: at,
          updatedAt: at,
          paidAt: status === "paid" ? at : null,
        })
        .returning({ id: payments.id });
      if (status === "paid") {
        await this.deps.xp.addIn(tx, { userId, amount: payment.xpAmount, source: "purchase", reference: payment.orderId, actor: "import", note: `django payments_payment ${payment.id}`, at });
      }
      await record(tx, "payment", payment.id, row!.id);
    });

    // 6. Chat, with author and time.
    if (data.chat) {
      const chatMap = mapOf("chat_message");
      const newMessages = data.chat.filter((message) => !chatMap.has(String(message.id)));
      report.kinds.chat_messages.skipped += data.chat.length - newMessages.length;
      await inBatches("chat", newMessages, async (tx, message) => {
        const userId = userIds.get(String(message.userId));
        if (userId === undefined || message.content.trim() === "") {
          report.kinds.chat_messages.skipped++;
          return;
        }
        report.kinds.chat_messages.imported++;
        if (report.dryRun) return;
        const [row] = await tx.db.insert(chatMessages).values({ userId, message: message.content, createdAt: new Date(message.timestamp) }).returning({ id: chatMessages.id });
        await record(tx, "chat_message", message.id, row!.id);
      });
    }

    // 7. XP: each member's balance is the original's; what its tables cannot explain is one adjustment.
    const explained = new Map<number, number>();
    for (const row of data.checkIns) explained.set(row.userId, (explained.get(row.userId) ?? 0) + row.xpEarned);
    for (const payment of data.payments) if (payment.status === "success") explained.set(payment.userId, (explained.get(payment.userId) ?? 0) + payment.xpAmount);
    const adjustMap = mapOf("xp_adjustment");
    const toAdjust = data.profiles.filter((profile) => userIds.has(String(profile.userId)) && !adjustMap.has(String(profile.userId)));
    report.kinds.xp.skipped += data.profiles.filter((profile) => adjustMap.has(String(profile.userId))).length;
    await inBatches("xp", toAdjust, async (tx, profile) => {
      const userId = userIds.get(String(profile.userId))!;
      const amount = profile.xp - (explained.get(profile.userId) ?? 0);
      if (amount !== 0) {
        report.kinds.xp.adjusted++;
        if (!report.dryRun) {
          await this.deps.xp.addIn(tx, {
            userId,
            amount,
            source: "import_adjustment",
            reference: `django:users_userprofile:${profile.userId}`,
            actor: "import",
            note: "XP the original's tables do not explain (referrals, admin grants)",
          });
        }
      } else report.kinds.xp.imported++;
      if (!report.dryRun) await record(tx, "xp_adjustment", profile.userId, userId);
      else report.nothingNew = false;
    });
    this.deps.log.info(report.dryRun ? "import planned (dry run)" : "import finished", { kinds: report.kinds });
    return report;
  }

  async #importUser(
    tx: Tx,
    source: SourceUser,
    profile: SourceProfile | null,
    report: ImportReport,
    options: ImportOptions,
    takenNames: Set<string>,
    takenEmails: Set<string>,
  ): Promise<number> {
    const now = this.deps.clock.now();
    // The name as it was; one taken here (or differing from another only by case) gets a suffix.
    let username = source.username.slice(0, MAX_USERNAME);
    const nameTaken = async (name: string) =>
      takenNames.has(name.toLowerCase()) || first(await tx.db.select({ id: users.id }).from(users).where(sql`lower(${users.username}) = ${name.toLowerCase()}`)) !== undefined;
    if (await nameTaken(username)) {
      let n = 2;
      const base = username.slice(0, MAX_USERNAME - 6);
      while (await nameTaken(`${base}_${n}`)) n++;
      report.renamed.push({ from: source.username, to: `${base}_${n}` });
      report.kinds.users.renamed++;
      username = `${base}_${n}`;
    }
    takenNames.add(username.toLowerCase());
    // E-mail: '' is none; one another account here already has stays with that account.
    let email: string | null = source.email.trim() || null;
    if (email) {
      const lower = email.toLowerCase();
      if (takenEmails.has(lower) || first(await tx.db.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${lower}`))) {
        report.notes.push(`${source.username}: e-mail ${email} belongs to another account here; imported without it`);
        email = null;
      } else takenEmails.add(lower);
    }
    // Django's PBKDF2 hashes keep working (and become argon2id at the first sign-in); `!…` is no password.
    const passwordHash = source.password.startsWith(`${DJANGO_PBKDF2}$`) ? source.password : null;
    if (passwordHash === null && source.password && !source.password.startsWith("!")) {
      report.notes.push(`${source.username}: a password hashed with ${source.password.split("$")[0]} cannot be checked here; password sign-in is off for this account`);
    }
    report.kinds.users.imported++;
    const joined = new Date(source.dateJoined);
    const [user] = await tx.db
      .insert(users)
      .values({
        username,
        email,
        emailVerified: false,
        passwordHash,
        role: source.isStaff || source.isSuperuser ? "admin" : "user",
        disabled: !source.isActive,
        firstName: source.firstName.slice(0, 150),
        lastName: source.lastName.slice(0, 150),
        createdAt: joined,
        updatedAt: now,
      })
      .returning({ id: users.id });
    const userId = user!.id;
    // The original's code when it is free here, else a new one.
    let referralCode = profile?.referralCode?.trim().toUpperCase() ?? null;
    if (!referralCode || !/^[A-Z0-9]{4,16}$/.test(referralCode) || first(await tx.db.select({ id: profiles.userId }).from(profiles).where(eq(profiles.referralCode, referralCode)))) {
      if (profile?.referralCode) report.notes.push(`${source.username}: referral code ${profile.referralCode} is taken here; a new one was made`);
      referralCode = generateReferralCode();
    }
    const links: Record<string, string> = {};
    if (profile?.githubUsername) links.github = profile.githubUsername;
    if (profile?.leetcodeUsername) links.leetcode = profile.leetcodeUsername;
    await tx.db.insert(profiles).values({
      userId,
      avatarUrl: report.dryRun ? null : this.#picture(profile?.avatar ?? null, "avatars", options, report, source.username),
      bannerUrl: report.dryRun ? null : this.#picture(profile?.banner ?? null, "banners", options, report, source.username),
      bio: profile?.bio && !PLACEHOLDER_BIOS.has(profile.bio) ? profile.bio.slice(0, 500) : "",
      timezone: ORIGINAL_TIMEZONE,
      links,
      streakFreezes: Math.max(0, profile?.streakFreezes ?? 0),
      referralCode,
      updatedAt: now,
    });
    // The one OAuth identity the original kept: the member's next sign-in with it lands here.
    if (profile && ["github", "google", "discord"].includes(profile.provider) && profile.providerId) {
      const provider = profile.provider as "github" | "google" | "discord";
      const taken = first(await tx.db.select({ id: identities.id }).from(identities).where(and(eq(identities.provider, provider), eq(identities.providerUserId, profile.providerId))));
      if (taken) {
        report.kinds.identities.skipped++;
        report.notes.push(`${source.username}: the ${provider} identity ${profile.providerId} is already linked to another account here`);
      } else {
        await tx.db.insert(identities).values({ userId, provider, providerUserId: profile.providerId, email, emailVerified: false, createdAt: joined, lastLoginAt: joined });
        report.kinds.identities.imported++;
      }
    }
    return userId;
  }

  async #importCheckIns(
    tx: Tx,
    sourceUserId: number,
    rows: SourceCheckIn[],
    userIds: Map<string, number>,
    checkInMap: Map<string, number>,
    report: ImportReport,
    record: (tx: Tx, kind: string, sourceId: string | number, targetId: number) => Promise<void>,
  ): Promise<void> {
    const userId = userIds.get(String(sourceUserId));
    if (userId === undefined) {
      report.kinds.check_ins.skipped += rows.length;
      return;
    }
    const chain = streakChain(rows);
    let wrote = false;
    for (const { row, streak, freezeUsed } of chain) {
      if (checkInMap.has(String(row.id))) {
        report.kinds.check_ins.skipped++;
        continue;
      }
      report.kinds.check_ins.imported++;
      if (report.dryRun) {
        report.nothingNew = false;
        continue;
      }
      const at = new Date(row.createdAt);
      const [inserted] = await tx.db
        .insert(checkIns)
        .values({ userId, date: row.date, timezone: ORIGINAL_TIMEZONE, streakDay: streak, cycleDay: row.streakDay, xpEarned: row.xpEarned, freezesUsed: freezeUsed ? 1 : 0, createdAt: at })
        .onConflictDoNothing()
        .returning({ id: checkIns.id });
      if (!inserted) {
        // A check-in on that date is already here (made on this server): the original's is not a second one.
        report.kinds.check_ins.imported--;
        report.kinds.check_ins.skipped++;
        report.notes.push(`check-in ${row.id}: the member already has a check-in on ${row.date} here`);
        continue;
      }
      await this.deps.xp.addIn(tx, { userId, amount: row.xpEarned, source: "check_in", reference: `django:rewards_dailycheckin:${row.id}`, actor: "import", at });
      await record(tx, "check_in", row.id, inserted.id);
      wrote = true;
    }
    if (!wrote || chain.length === 0) return;
    // The streak as of the last check-in, unless the member has checked in here since.
    const last = chain.at(-1)!;
    const longest = Math.max(...chain.map((link) => link.streak));
    const current = first(await tx.db.select({ lastCheckIn: profiles.lastCheckIn, longest: profiles.longestStreak }).from(profiles).where(eq(profiles.userId, userId)));
    if (current && (current.lastCheckIn === null || current.lastCheckIn <= last.row.date)) {
      await tx.db
        .update(profiles)
        .set({ currentStreak: last.streak, longestStreak: Math.max(longest, current.longest), lastCheckIn: last.row.date, updatedAt: this.deps.clock.now() })
        .where(eq(profiles.userId, userId));
    }
  }

  /** A picture of the original: copied from its media folder, else its URL there, else none. */
  #picture(path: string | null, folder: MediaFolder, options: ImportOptions, report: ImportReport, who: string): string | null {
    if (!path) return null;
    if (/^https?:\/\//i.test(path)) return path;
    if (options.mediaDir) {
      const root = realpathSync(options.mediaDir);
      // Inside the folder, links followed: a path (or a link in it) that leads out is not read.
      const named = resolve(root, path);
      const file = existsSync(named) ? realpathSync(named) : named;
      if (file.startsWith(root + sep) && existsSync(file)) {
        try {
          const bytes = new Uint8Array(readFileSync(file));
          this.deps.media.check(bytes, `/${folder}`);
          return this.deps.media.save(folder, bytes);
        } catch {
          report.notes.push(`${who}: ${path} is not an image this server accepts; not copied`);
        }
      } else report.notes.push(`${who}: ${path} is not in ${options.mediaDir}; not copied`);
    }
    if (options.mediaUrl) return `${options.mediaUrl.replace(/\/+$/, "")}/media/${path.replace(/^\/+/, "")}`;
    if (!options.mediaDir) report.notes.push(`${who}: ${path} left behind (give --media or --media-url)`);
    return null;
  }
}

