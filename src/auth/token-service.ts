import { and, eq, isNull, lt } from "drizzle-orm";
import type { Clock } from "../clock.ts";
import { first, type Store, statement, type Tx } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import { refreshTokens, users } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { USER_COLUMNS, type UserRow } from "../users/profile-service.ts";
import { sha256Hex } from "../hash.ts";
import { type AccessClaims, signJwt, verifyJwt } from "./jwt.ts";

/** A new access token and the refresh token that continues its session. */
export interface IssuedTokens {
  accessToken: string;
  refreshToken: string;
  /** Seconds until the access token expires. */
  expiresIn: number;
}

export interface TokenOwner {
  id: number;
  role: "user" | "admin";
}

/** Who an access token speaks for, as the user and the session stand now. */
export interface TokenUser {
  id: number;
  username: string;
  role: "user" | "admin";
  /** The session (refresh-token family) the token names; null for tokens issued before sessions were named. */
  session: string | null;
  /** When the access token expires. */
  expiresAt: Date;
  /** The users row as this request read it (a profile read of one's own uses it). */
  row: UserRow;
}

function randomToken(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

/** A disabled account, refused everywhere in the words the original web client recognises. */
export const accountDisabled = () => new AppError("forbidden", "account_disabled", "User account is disabled.");

const invalidRefresh = () => new AppError("unauthorized", "invalid_refresh_token", "The refresh token is not valid");

/**
 * Access tokens (short JWTs) and refresh tokens (random, stored only as SHA-256, rotated on use,
 * grouped in families so that a stolen, already-used token revokes everything issued after it).
 */
/** The row every authenticated request reads (see TokenService#standing). */
interface Standing extends UserRow {
  deleted: number;
  session_live: number;
}

// Every authenticated request reads its user and whether its session still stands: one statement
// written by hand (drizzle's mapping of it cost as much as the read). A token that names no session
// (issued before sessions were named) has none to end.
const STANDING = statement<Standing, [number, string | null]>({
  sqlite: `SELECT ${USER_COLUMNS}, deleted_at IS NOT NULL AS deleted,
              (?2 IS NULL OR EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = ?2 AND revoked_at IS NULL)) AS session_live
           FROM users WHERE id = ?1`,
  pg: `SELECT ${USER_COLUMNS}, (deleted_at IS NOT NULL)::int AS deleted,
              ($2::text IS NULL OR EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $2::text AND revoked_at IS NULL))::int AS session_live
       FROM users WHERE id = $1`,
});

export class TokenService {
  constructor(
    private readonly deps: {
      reader: Store;
      writer: Writer;
      clock: Clock;
      secret: string;
      accessTtlSeconds: number;
      refreshTtlSeconds: number;
    },
  ) {}

  /** Starts a new family: one access token and the first refresh token of the family. */
  issue(owner: TokenOwner): Promise<IssuedTokens> {
    return this.deps.writer.run((tx) => this.issueIn(tx, owner));
  }

  /** `issue`, inside the caller's unit. */
  issueIn(tx: Tx, owner: TokenOwner): Promise<IssuedTokens> {
    return this.#addToFamily(tx, owner, crypto.randomUUID());
  }

  /**
   * Rotates a refresh token: the presented one is used up and a new pair is returned. Presenting a
   * token that was already used means someone else has it: the whole family is revoked
   * (`refresh_token_reused`). Expired, revoked and unknown tokens are `unauthorized`; a disabled
   * account `account_disabled`.
   */
  async refresh(refreshToken: string): Promise<IssuedTokens & { userId: number }> {
    const outcome = await this.deps.writer.run(async (tx) => {
      const now = this.deps.clock.now();
      const row = first(await tx.db.select().from(refreshTokens).where(eq(refreshTokens.tokenHash, sha256Hex(refreshToken))));
      if (!row) return { error: invalidRefresh() };
      if (row.revokedAt) return { error: new AppError("unauthorized", "refresh_token_revoked", "The refresh token was revoked") };
      if (row.usedAt) {
        await this.#revokeFamily(tx, row.familyId, now);
        return {
          error: new AppError("unauthorized", "refresh_token_reused", "The refresh token was already used; every session from this login is now signed out"),
        };
      }
      if (row.expiresAt.getTime() <= now.getTime()) {
        return { error: new AppError("unauthorized", "refresh_token_expired", "The refresh token has expired") };
      }
      const user = first(await tx.db.select({ id: users.id, role: users.role, disabled: users.disabled }).from(users).where(eq(users.id, row.userId)));
      if (!user) return { error: invalidRefresh() };
      if (user.disabled) {
        await this.#revokeFamily(tx, row.familyId, now);
        return { error: accountDisabled() };
      }
      await tx.db.update(refreshTokens).set({ usedAt: now }).where(eq(refreshTokens.id, row.id));
      return { pair: { ...(await this.#addToFamily(tx, user, row.familyId)), userId: user.id } };
    });
    // The revocation above must commit, so errors are thrown only after the transaction.
    if ("error" in outcome) throw outcome.error;
    return outcome.pair;
  }

  /** Revokes the token's whole family (logout). Unknown tokens are ignored: logging out is idempotent. */
  async revoke(refreshToken: string): Promise<void> {
    await this.deps.writer.run(async (tx) => {
      const row = first(await tx.db.select({ familyId: refreshTokens.familyId }).from(refreshTokens).where(eq(refreshTokens.tokenHash, sha256Hex(refreshToken))));
      if (row) await this.#revokeFamily(tx, row.familyId, this.deps.clock.now());
    });
  }

  /**
   * Ends the session an access token names (logout with the bearer token alone). The token must be
   * ours (signature checked) but may have expired: signing out is never refused for that. A token
   * that names no session (issued before sessions were named) is `invalid_token`.
   */
  async revokeSessionOf(accessToken: string): Promise<void> {
    const result = verifyJwt(accessToken, this.deps.secret, Math.floor(this.deps.clock.now().getTime() / 1000), { allowExpired: true });
    if (!result.ok || !result.claims.sid) throw new AppError("unauthorized", "invalid_token", "The access token is not valid");
    const session = result.claims.sid;
    await this.deps.writer.run((tx) => this.#revokeFamily(tx, session, this.deps.clock.now()));
  }

  /** Checks an access token's signature, expiry and times against the clock (`unauthorized` otherwise). */
  verifyAccess(token: string): AccessClaims {
    const result = verifyJwt(token, this.deps.secret, Math.floor(this.deps.clock.now().getTime() / 1000));
    if (result.ok) return result.claims;
    if (result.reason === "expired") throw new AppError("unauthorized", "token_expired", "The access token has expired");
    throw new AppError("unauthorized", "invalid_token", "The access token is not valid");
  }

  /**
   * The current state of the token's user and session: a deleted user or an ended session (logged
   * out, reused refresh token) is `unauthorized`, a disabled user `account_disabled`.
   */
  async userOf(claims: AccessClaims): Promise<TokenUser> {
    const id = Number(claims.sub);
    this.deps.reader.enter();
    const user = Number.isSafeInteger(id) ? await this.deps.reader.one(STANDING, id, claims.sid ?? null) : null;
    if (!user || user.deleted) throw new AppError("unauthorized", "invalid_token", "The access token is not valid");
    if (user.disabled) throw accountDisabled();
    if (!user.session_live) throw new AppError("unauthorized", "session_ended", "This session has been signed out; sign in again");
    return { id: user.id, username: user.username, role: user.role, session: claims.sid ?? null, expiresAt: new Date(claims.exp * 1000), row: user };
  }

  /**
   * Why a token accepted earlier no longer holds — expired, account gone or disabled, session
   * signed out — or null while it does. For long-lived connections (chat sockets) checked again later.
   */
  async refusal(user: TokenUser): Promise<string | null> {
    if (user.expiresAt.getTime() <= this.deps.clock.now().getTime()) return "access token expired";
    const row = await this.deps.reader.one(STANDING, user.id, user.session);
    if (!row || row.deleted) return "account deleted";
    if (row.disabled) return "account disabled";
    if (!row.session_live) return "signed out";
    return null;
  }

  async #addToFamily(tx: Tx, owner: TokenOwner, familyId: string): Promise<IssuedTokens> {
    const now = this.deps.clock.now();
    const refresh = randomToken();
    // Old, expired rows of this user are of no further use.
    await tx.db.delete(refreshTokens).where(and(eq(refreshTokens.userId, owner.id), lt(refreshTokens.expiresAt, now)));
    await tx.db.insert(refreshTokens).values({
      userId: owner.id,
      familyId,
      tokenHash: sha256Hex(refresh),
      createdAt: now,
      expiresAt: new Date(now.getTime() + this.deps.refreshTtlSeconds * 1000),
    });
    const iat = Math.floor(now.getTime() / 1000);
    const access = signJwt({ sub: String(owner.id), role: owner.role, iat, exp: iat + this.deps.accessTtlSeconds, sid: familyId }, this.deps.secret);
    return { accessToken: access, refreshToken: refresh, expiresIn: this.deps.accessTtlSeconds };
  }

  async #revokeFamily(tx: Tx, familyId: string, now: Date): Promise<void> {
    await tx.db
      .update(refreshTokens)
      .set({ revokedAt: now })
      .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
  }
}
