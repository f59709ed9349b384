import { and, asc, count, eq, inArray, lte, ne } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import type { Clock } from "../clock.ts";
import { PROVIDER_PLACEHOLDER } from "../config.ts";
import { first, type Tx } from "../db/store.ts";
import type { Writer } from "../db/writer.ts";
import { identities, oauthStates, users } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { sha256Hex } from "../hash.ts";
import type { Logger } from "../log.ts";
import { type OAuthProfile, type OAuthProvider, PROVIDER_NAMES, type ProviderName } from "../providers/oauth/index.ts";
import type { ProfileService } from "../users/profile-service.ts";
import { emailProblem } from "../users/rules.ts";
import type { User, UserService } from "../users/user-service.ts";
import type { Caller, Session } from "./auth-service.ts";
import type { ThrottleStore } from "../throttle/store.ts";
import { AttemptLimiter, type RateRule } from "./throttle.ts";
import { accountDisabled, type TokenService } from "./token-service.ts";


/** How long a started sign-in may wait for its callback. */
export const STATE_TTL_MS = 10 * 60_000;

/**
 * Most sign-ins pending at once. Each address may start only so many (COC_OAUTH_STARTS_PER_ADDRESS);
 * this bounds the table against a flood from many addresses: past it the oldest are dropped.
 */
export const MAX_PENDING_SIGN_INS = 50_000;

export interface OAuthOutcome extends Session {
  /** True when this sign-in created the account. */
  created: boolean;
  /** True when this sign-in joined the provider to an existing account. */
  linked: boolean;
}

export interface ProviderInfo {
  name: ProviderName;
  label: string;
}

interface SignIn {
  user: User;
  created: boolean;
  linked: boolean;
}

/**
 * Sign-in with GitHub, Google and Discord: authorization code flow with a single-use state and
 * PKCE S256, then find the user by identity, or link by a verified email, or create one.
 */
export class OAuthService {
  constructor(
    private readonly deps: {
      writer: Writer;
      clock: Clock;
      log: Logger;
      providers: Partial<Record<ProviderName, OAuthProvider>>;
      users: UserService;
      profiles: ProfileService;
      tokens: TokenService;
      redirectUris: readonly string[];
      startsPerAddress: RateRule;
      throttleStore: ThrottleStore;
      maxPending?: number;
    },
  ) {
    this.#starts = new AttemptLimiter(deps.throttleStore, "oauth-starts", deps.startsPerAddress);
  }

  readonly #starts: AttemptLimiter;

  /** The providers that are configured (the others are off). */
  list(): ProviderInfo[] {
    return PROVIDER_NAMES.flatMap((name) => {
      const provider = this.deps.providers[name];
      return provider ? [{ name, label: provider.label }] : [];
    });
  }

  /**
   * Starts a sign-in: stores a fresh state (10 minutes, single use) with its PKCE verifier and
   * answers the provider URL to send the browser to. `redirectUri` must be on the allow-list;
   * without one, the first allowed URI is used. With `linkUserId` (a signed-in user joining the
   * provider to their account) the state records who started it. Each client address may start
   * COC_OAUTH_STARTS_PER_ADDRESS sign-ins (`too_many_sign_ins`).
   */
  async start(name: string, options: { redirectUri?: string; linkUserId?: number | null }, address: string): Promise<{ url: string; state: string }> {
    const provider = this.#provider(name);
    const redirect = this.#redirectUri(options.redirectUri, provider.name);
    const wait = await this.#starts.take(address);
    if (wait > 0) {
      throw new AppError("rate_limited", "too_many_sign_ins", "Too many sign-ins were started from your address; try again later", {
        retryAfterSeconds: wait / 1000,
      });
    }
    const state = oauth.generateRandomState();
    const codeVerifier = oauth.generateRandomCodeVerifier();
    const nonce = provider.usesNonce ? oauth.generateRandomNonce() : null;
    const url = await provider.authorizationUrl({
      state,
      codeChallenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
      redirectUri: redirect,
      nonce,
    });
    const now = this.deps.clock.now();
    const stateHash = sha256Hex(state);
    await this.deps.writer.run(async (tx) => {
      await this.#purgeExpired(tx, now);
      await tx.db.insert(oauthStates).values({
        stateHash,
        provider: provider.name,
        codeVerifier,
        nonce,
        redirectUri: redirect,
        linkUserId: options.linkUserId ?? null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + STATE_TTL_MS),
      });
      const pending = first(await tx.db.select({ n: count() }).from(oauthStates))?.n ?? 0;
      const excess = pending - (this.deps.maxPending ?? MAX_PENDING_SIGN_INS);
      if (excess > 0) {
        // The oldest go; never the one just made (states made in one instant tie on their time).
        const oldest = tx.db
          .select({ hash: oauthStates.stateHash })
          .from(oauthStates)
          .where(ne(oauthStates.stateHash, stateHash))
          .orderBy(asc(oauthStates.expiresAt))
          .limit(excess);
        await tx.db.delete(oauthStates).where(inArray(oauthStates.stateHash, oldest));
        this.deps.log.warn("too many sign-ins pending: the oldest were dropped", { dropped: excess });
      }
    });
    return { url: url.href, state };
  }

  /**
   * Finishes a sign-in. The state is consumed first (unknown, expired, reused or another
   * provider's: `invalid_state`); a state started to link an account is finished only by that
   * account (`callerOf` says who finishes it; anyone else: `link_not_yours`). The
   * provider is called outside any transaction; a provider failure creates nothing.
   */
  async finish(name: string, input: { code: string; state: string }, callerOf: () => Promise<Caller | null>): Promise<OAuthOutcome> {
    const provider = this.#provider(name);
    const pending = await this.#consumeState(provider.name, input.state);
    if (pending.linkUserId !== null && (await callerOf())?.id !== pending.linkUserId) {
      throw new AppError("forbidden", "link_not_yours", "This sign-in was started to link another account; finish it signed in as that account");
    }
    const profile = await provider.fetchProfile({
      code: input.code,
      state: input.state,
      codeVerifier: pending.codeVerifier,
      redirectUri: pending.redirectUri,
      nonce: pending.nonce,
    });
    const { signIn, tokens } = await this.deps.writer.run(async (tx) => {
      const signIn =
        pending.linkUserId === null ? await this.#signIn(tx, provider.name, profile) : await this.#link(tx, provider.name, profile, pending.linkUserId);
      await this.deps.users.markSignIn(tx, signIn.user.id, provider.name);
      return { signIn, tokens: await this.deps.tokens.issueIn(tx, signIn.user) };
    });
    this.deps.log.info("user logged in", {
      user_id: signIn.user.id,
      method: provider.name,
      created: signIn.created,
      linked: signIn.linked,
    });
    return { user: await this.deps.profiles.byId(signIn.user.id), tokens, created: signIn.created, linked: signIn.linked };
  }

  /** Deletes expired sign-in states (the server's periodic sweep). */
  purgeExpired(): Promise<number> {
    return this.deps.writer.run((tx) => this.#purgeExpired(tx, this.deps.clock.now()));
  }

  async #purgeExpired(tx: Tx, now: Date): Promise<number> {
    return (await tx.db.delete(oauthStates).where(lte(oauthStates.expiresAt, now)).returning({ hash: oauthStates.stateHash })).length;
  }

  #provider(name: string): OAuthProvider {
    if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
      throw new AppError("not_found", "unknown_provider", `There is no sign-in provider "${name}"`);
    }
    const provider = this.deps.providers[name as ProviderName];
    if (!provider) throw new AppError("not_found", "provider_not_configured", `Sign-in with ${name} is not configured on this server`);
    return provider;
  }

  /**
   * The redirect URI of a sign-in with `provider`. An allow-list entry may hold `{provider}`; the
   * entries that fit a provider are those with the placeholder, those whose path names that
   * provider, and those that name none. A requested URI must be one of them; without one, the
   * first is used (the original web client sends no query at all).
   */
  #redirectUri(requested: string | undefined, provider: ProviderName): string {
    const fitting = this.deps.redirectUris
      .filter((entry) => {
        if (entry.includes(PROVIDER_PLACEHOLDER)) return true;
        const path = new URL(entry).pathname.split("/");
        const named = PROVIDER_NAMES.filter((name) => path.includes(name));
        return named.length === 0 || named.includes(provider);
      })
      .map((entry) => entry.replaceAll(PROVIDER_PLACEHOLDER, provider));
    if (requested !== undefined) {
      if (!fitting.includes(requested)) {
        throw new AppError("validation", "redirect_uri_not_allowed", "redirect_uri is not on this server's allow-list (COC_OAUTH_REDIRECT_URIS)");
      }
      return requested;
    }
    const first = fitting[0];
    if (!first) {
      throw new AppError("validation", "redirect_uri_required", `Pass redirect_uri; this server has no default for ${provider} (COC_OAUTH_REDIRECT_URIS)`);
    }
    return first;
  }

  async #consumeState(provider: ProviderName, state: string) {
    const now = this.deps.clock.now();
    const row = await this.deps.writer.run(async (tx) => first(await tx.db.delete(oauthStates).where(eq(oauthStates.stateHash, sha256Hex(state))).returning()));
    if (!row || row.provider !== provider) {
      throw new AppError("validation", "invalid_state", "Unknown or already used sign-in state; start the sign-in again");
    }
    if (row.expiresAt.getTime() <= now.getTime()) {
      throw new AppError("validation", "invalid_state", "The sign-in took too long; start it again");
    }
    return row;
  }

  /**
   * Find by identity, else link by email when both sides vouch for it, else create. Runs inside
   * one unit of work. An account's address counts as vouched for only when a provider
   * verified it: a password account's never is, so pre-registering someone's address cannot hand
   * you their later OAuth sign-ins.
   */
  async #signIn(tx: Tx, provider: ProviderName, profile: OAuthProfile): Promise<SignIn> {
    const known = await this.#knownIdentity(tx, provider, profile);
    if (known) return { user: await this.#touch(tx, known, profile), created: false, linked: false };
    const identity = this.#identity(provider, profile);
    const vouched = profile.email && profile.emailVerified && !emailProblem(profile.email) ? profile.email : null;
    const owner = vouched ? await this.deps.users.findByEmail(vouched, tx) : undefined;
    if (owner?.emailVerified) {
      if (owner.disabled) throw accountDisabled();
      await this.deps.users.linkIdentity(tx, owner.id, identity);
      return { user: owner, created: false, linked: true };
    }
    if (owner) {
      this.deps.log.warn("an account that never verified this email has it: not linked, a new account is made", { user_id: owner.id, provider });
    }
    // A verified address no account has becomes the new account's; one that an unverified account
    // holds, an unverified or a malformed one is kept on the identity only.
    const email = vouched && !owner ? vouched : null;
    const user = await this.deps.users.createIn(tx, {
      username: await this.deps.users.freeUsername(tx, profile.login),
      email,
      emailVerified: email !== null,
      avatarUrl: profile.avatarUrl,
      identity,
    });
    return { user, created: true, linked: false };
  }

  /**
   * Joins the provider identity to `userId`, who started this sign-in signed in. An identity
   * already joined to another account is `identity_linked_elsewhere`; to this one, a plain
   * sign-in. A verified provider address equal to the account's marks the account's verified.
   */
  async #link(tx: Tx, provider: ProviderName, profile: OAuthProfile, userId: number): Promise<SignIn> {
    const known = await this.#knownIdentity(tx, provider, profile);
    if (known && known.userId !== userId) {
      throw new AppError("conflict", "identity_linked_elsewhere", `This ${provider} account is already joined to another account`);
    }
    if (known) return { user: await this.#touch(tx, known, profile), created: false, linked: false };
    const user = await this.deps.users.findById(userId, tx);
    if (!user) throw new AppError("unauthorized", "invalid_credentials", "The account is gone");
    if (user.disabled) throw accountDisabled();
    await this.deps.users.linkIdentity(tx, user.id, this.#identity(provider, profile));
    if (profile.emailVerified && profile.email && user.email?.toLowerCase() === profile.email.toLowerCase() && !user.emailVerified) {
      await tx.db.update(users).set({ emailVerified: true, updatedAt: this.deps.clock.now() }).where(eq(users.id, user.id));
    }
    return { user, created: false, linked: true };
  }

  async #knownIdentity(tx: Tx, provider: ProviderName, profile: OAuthProfile) {
    return first(await tx.db.select().from(identities).where(and(eq(identities.provider, provider), eq(identities.providerUserId, profile.providerUserId))));
  }

  /** The user of a known identity, refreshing what the provider says of it now. */
  async #touch(tx: Tx, known: { id: number; userId: number }, profile: OAuthProfile): Promise<User> {
    const user = await this.deps.users.findById(known.userId, tx);
    if (!user) throw new AppError("unauthorized", "invalid_credentials", "The account is gone");
    if (user.disabled) throw accountDisabled();
    await tx.db
      .update(identities)
      .set({ email: profile.email, emailVerified: profile.emailVerified, lastLoginAt: this.deps.clock.now() })
      .where(eq(identities.id, known.id));
    return user;
  }

  #identity(provider: ProviderName, profile: OAuthProfile) {
    return { provider, providerUserId: profile.providerUserId, email: profile.email, emailVerified: profile.emailVerified };
  }
}
