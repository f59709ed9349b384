import { and, eq, lt } from "drizzle-orm";
import * as oauth from "oauth4webapi";
import type { Clock } from "../clock.ts";
import { type Db, type Tx, writeTransaction } from "../db/client.ts";
import { identities, oauthStates } from "../db/schema.ts";
import { AppError } from "../errors.ts";
import { sha256Hex } from "../hash.ts";
import type { Logger } from "../log.ts";
import { type OAuthProfile, type OAuthProvider, PROVIDER_NAMES, type ProviderName } from "../providers/oauth/index.ts";
import type { ProfileService } from "../users/profile-service.ts";
import { emailProblem } from "../users/rules.ts";
import type { User, UserService } from "../users/user-service.ts";
import type { SessionAnswer } from "./auth-service.ts";
import type { TokenService } from "./token-service.ts";

const disabled = () => new AppError("forbidden", "account_disabled", "This account is disabled");

/** How long a started sign-in may wait for its callback. */
export const STATE_TTL_MS = 10 * 60_000;

export interface ProviderInfo {
  name: ProviderName;
  label: string;
  /** Where a client starts the sign-in. */
  start_url: string;
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
      db: Db;
      clock: Clock;
      log: Logger;
      providers: Partial<Record<ProviderName, OAuthProvider>>;
      users: UserService;
      profiles: ProfileService;
      tokens: TokenService;
      redirectUris: readonly string[];
    },
  ) {}

  /** The providers that are configured (the others are off). */
  list(): ProviderInfo[] {
    return PROVIDER_NAMES.flatMap((name) => {
      const provider = this.deps.providers[name];
      return provider ? [{ name, label: provider.label, start_url: `/api/auth/${name}/` }] : [];
    });
  }

  /**
   * Starts a sign-in: stores a fresh state (10 minutes, single use) with its PKCE verifier and
   * answers the provider URL to send the browser to. `redirectUri` must be on the allow-list;
   * without one, the first allowed URI is used.
   */
  async start(name: string, redirectUri?: string): Promise<{ url: string; state: string }> {
    const provider = this.#provider(name);
    const redirect = this.#redirectUri(redirectUri);
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
    writeTransaction(this.deps.db, (tx) => {
      tx.delete(oauthStates).where(lt(oauthStates.expiresAt, now)).run();
      tx.insert(oauthStates)
        .values({
          stateHash: sha256Hex(state),
          provider: provider.name,
          codeVerifier,
          nonce,
          redirectUri: redirect,
          createdAt: now,
          expiresAt: new Date(now.getTime() + STATE_TTL_MS),
        })
        .run();
    });
    return { url: url.href, state };
  }

  /**
   * Finishes a sign-in. The state is consumed first (unknown, expired, reused or another
   * provider's: 400 `invalid_state`); the provider is called outside any transaction; a provider
   * failure creates nothing. Answers tokens, the public profile and whether the user is new.
   */
  async finish(name: string, input: { code: string; state: string }): Promise<SessionAnswer & { created: boolean }> {
    const provider = this.#provider(name);
    const pending = this.#consumeState(provider.name, input.state);
    const profile = await provider.fetchProfile({
      code: input.code,
      state: input.state,
      codeVerifier: pending.codeVerifier,
      redirectUri: pending.redirectUri,
      nonce: pending.nonce,
    });
    const { signIn, pair } = writeTransaction(this.deps.db, (tx) => {
      const signIn = this.#signIn(tx, provider.name, profile);
      return { signIn, pair: this.deps.tokens.issue(signIn.user, tx) };
    });
    this.deps.log.info("user logged in", {
      user_id: signIn.user.id,
      method: provider.name,
      created: signIn.created,
      linked: signIn.linked,
    });
    return { user: this.deps.profiles.publicProfile(signIn.user.id), ...pair, created: signIn.created };
  }

  #provider(name: string): OAuthProvider {
    if (!(PROVIDER_NAMES as readonly string[]).includes(name)) {
      throw new AppError("not_found", "unknown_provider", `There is no sign-in provider "${name}"`);
    }
    const provider = this.deps.providers[name as ProviderName];
    if (!provider) throw new AppError("not_found", "provider_not_configured", `Sign-in with ${name} is not configured on this server`);
    return provider;
  }

  #redirectUri(requested: string | undefined): string {
    const allowed = this.deps.redirectUris;
    if (requested !== undefined) {
      if (!allowed.includes(requested)) {
        throw new AppError("validation", "redirect_uri_not_allowed", "redirect_uri is not on this server's allow-list (COC_OAUTH_REDIRECT_URIS)");
      }
      return requested;
    }
    const first = allowed[0];
    if (!first) {
      throw new AppError("validation", "redirect_uri_required", "Pass redirect_uri; this server has no default (COC_OAUTH_REDIRECT_URIS is empty)");
    }
    return first;
  }

  #consumeState(provider: ProviderName, state: string) {
    const now = this.deps.clock.now();
    const row = writeTransaction(this.deps.db, (tx) =>
      tx.delete(oauthStates).where(eq(oauthStates.stateHash, sha256Hex(state))).returning().get(),
    );
    if (!row || row.provider !== provider) {
      throw new AppError("validation", "invalid_state", "Unknown or already used sign-in state; start the sign-in again");
    }
    if (row.expiresAt.getTime() <= now.getTime()) {
      throw new AppError("validation", "invalid_state", "The sign-in took too long; start it again");
    }
    return row;
  }

  /** Find by identity, else link by verified email, else create. Runs inside one write transaction. */
  #signIn(tx: Tx, provider: ProviderName, profile: OAuthProfile): SignIn {
    const now = this.deps.clock.now();
    const known = tx
      .select()
      .from(identities)
      .where(and(eq(identities.provider, provider), eq(identities.providerUserId, profile.providerUserId)))
      .get();
    if (known) {
      const user = this.deps.users.findById(known.userId, tx);
      if (!user) throw new AppError("unauthorized", "invalid_credentials", "The account is gone");
      if (user.disabled) throw disabled();
      tx.update(identities)
        .set({ email: profile.email, emailVerified: profile.emailVerified, lastLoginAt: now })
        .where(eq(identities.id, known.id))
        .run();
      return { user, created: false, linked: false };
    }
    const identity = {
      provider,
      providerUserId: profile.providerUserId,
      email: profile.email,
      emailVerified: profile.emailVerified,
    };
    // An unverified address proves nothing about who owns the matching account: never link on it.
    if (profile.email && profile.emailVerified) {
      const owner = this.deps.users.findByEmail(profile.email, tx);
      if (owner) {
        if (owner.disabled) throw disabled();
        this.deps.users.linkIdentity(tx, owner.id, identity);
        return { user: owner, created: false, linked: true };
      }
    }
    // A verified address no account has (the search above) becomes the new account's; an
    // unverified or malformed one is kept on the identity only.
    const email = profile.email && profile.emailVerified && !emailProblem(profile.email) ? profile.email : null;
    const user = this.deps.users.create(
      {
        username: this.deps.users.freeUsername(tx, profile.login),
        email,
        emailVerified: email !== null,
        avatarUrl: profile.avatarUrl,
        identity,
      },
      tx,
    );
    return { user, created: true, linked: false };
  }
}
