import * as oauth from "oauth4webapi";
import type { Clock } from "../../clock.ts";
import { AppError } from "../../errors.ts";
import type { Logger } from "../../log.ts";

export type ProviderName = "github" | "google" | "discord";
export const PROVIDER_NAMES: readonly ProviderName[] = ["github", "google", "discord"];

/** What the product needs to know of a person after a provider vouched for them. */
export interface OAuthProfile {
  providerUserId: string;
  /** A login or name to build a username from. */
  login: string;
  email: string | null;
  /** True only when the provider says the address is verified. */
  emailVerified: boolean;
  avatarUrl: string | null;
}

export interface AuthorizationRequest {
  state: string;
  codeChallenge: string;
  redirectUri: string;
  nonce: string | null;
}

export interface CodeExchange {
  code: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
  nonce: string | null;
}

/** One OAuth provider, whatever its dialect (plain OAuth 2 or OpenID Connect). */
export interface OAuthProvider {
  readonly name: ProviderName;
  readonly label: string;
  /** OpenID Connect providers bind the ID token to a nonce. */
  readonly usesNonce: boolean;
  authorizationUrl(request: AuthorizationRequest): Promise<URL>;
  /** Exchanges the code (with the PKCE verifier) and reads the person's profile. */
  fetchProfile(exchange: CodeExchange): Promise<OAuthProfile>;
}

export interface ProviderOptions {
  clock: Clock;
  log: Logger;
  /** How long one request to the provider may take. */
  timeoutMs: number;
}

/** Codes that mean "this authorization code is no good": the client's problem, not the provider's. */
const REJECTED_GRANT = new Set(["invalid_grant", "bad_verification_code"]);

/**
 * Shared plumbing: request options (timeout, plain http only for loopback providers), the clock
 * handed to oauth4webapi, and the mapping of every failure to an AppError.
 */
export abstract class BaseProvider implements OAuthProvider {
  abstract readonly name: ProviderName;
  abstract readonly label: string;
  readonly usesNonce: boolean = false;

  constructor(
    protected readonly clientId: string,
    protected readonly clientSecret: string,
    protected readonly baseUrls: string[],
    protected readonly options: ProviderOptions,
  ) {}

  protected abstract authorizationEndpointUrl(request: AuthorizationRequest): Promise<URL>;
  protected abstract exchange(exchange: CodeExchange): Promise<OAuthProfile>;

  async authorizationUrl(request: AuthorizationRequest): Promise<URL> {
    try {
      return await this.authorizationEndpointUrl(request);
    } catch (error) {
      throw this.failure(error);
    }
  }

  async fetchProfile(exchange: CodeExchange): Promise<OAuthProfile> {
    try {
      return await this.exchange(exchange);
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Options for every oauth4webapi call: a timeout, and plain http only where config allowed it. */
  protected requestOptions(): { signal: AbortSignal; [oauth.allowInsecureRequests]: boolean } {
    return {
      signal: AbortSignal.timeout(this.options.timeoutMs),
      [oauth.allowInsecureRequests]: this.baseUrls.every((url) => url.startsWith("http://")),
    };
  }

  /** The client as oauth4webapi sees it, with its clock following ours (for ID token times). */
  protected client(): oauth.Client {
    return {
      client_id: this.clientId,
      [oauth.clockSkew]: Math.round((this.options.clock.now().getTime() - Date.now()) / 1000),
    };
  }

  protected clientAuth(): oauth.ClientAuth {
    return oauth.ClientSecretPost(this.clientSecret);
  }

  /** Standard authorization URL with PKCE S256 and state (and nonce when given). */
  protected buildAuthorizationUrl(endpoint: string, scope: string, request: AuthorizationRequest): URL {
    const url = new URL(endpoint);
    url.searchParams.set("client_id", this.clientId);
    url.searchParams.set("redirect_uri", request.redirectUri);
    url.searchParams.set("response_type", "code");
    url.searchParams.set("scope", scope);
    url.searchParams.set("state", request.state);
    url.searchParams.set("code_challenge", request.codeChallenge);
    url.searchParams.set("code_challenge_method", "S256");
    if (request.nonce) url.searchParams.set("nonce", request.nonce);
    return url;
  }

  /** The authorization-code grant with PKCE, through oauth4webapi; answers the token response. */
  protected async redeemCode(
    as: oauth.AuthorizationServer,
    exchange: CodeExchange,
    processOptions: oauth.ProcessAuthorizationCodeResponseOptions = {},
  ): Promise<{ tokens: oauth.TokenEndpointResponse; response: Response }> {
    const client = this.client();
    const params = oauth.validateAuthResponse(
      as,
      client,
      new URLSearchParams({ code: exchange.code, state: exchange.state }),
      exchange.state,
    );
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      this.clientAuth(),
      params,
      exchange.redirectUri,
      exchange.codeVerifier,
      this.requestOptions(),
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, processOptions);
    return { tokens, response };
  }

  /** GET a JSON resource with the access token (GitHub, Discord profile endpoints). */
  protected async getJson<T>(accessToken: string, url: string, headers: Record<string, string> = {}): Promise<T> {
    const response = await oauth.protectedResourceRequest(
      accessToken,
      "GET",
      new URL(url),
      new Headers({ accept: "application/json", "user-agent": "code-of-clans-server", ...headers }),
      null,
      this.requestOptions(),
    );
    if (!response.ok) {
      throw new AppError("upstream", "provider_error", `${this.label} answered ${response.status} for the profile`);
    }
    return (await response.json()) as T;
  }

  /** Every failure talking to a provider, as the client should hear it. Logged without secrets. */
  protected failure(error: unknown): AppError {
    if (error instanceof AppError) return error;
    const fields = { provider: this.name, error: describe(error) };
    const rejected = grantRejection(error);
    if (rejected) {
      this.options.log.info("oauth code rejected", { ...fields, reason: rejected });
      return new AppError("validation", "invalid_code", `${this.label} did not accept the authorization code; start the sign-in again`);
    }
    if (isTimeout(error)) {
      this.options.log.warn("oauth provider timed out", fields);
      return new AppError("upstream", "provider_timeout", `${this.label} did not answer in time`);
    }
    this.options.log.warn("oauth provider failed", fields);
    return new AppError("upstream", "provider_error", `Signing in with ${this.label} failed; try again later`);
  }
}

function isTimeout(error: unknown): boolean {
  const name = (error as { name?: string } | null)?.name;
  const cause = (error as { cause?: { name?: string } } | null)?.cause;
  return name === "TimeoutError" || name === "AbortError" || cause?.name === "TimeoutError";
}

/** GitHub answers a bad code with HTTP 200 and `{error}`; standard servers with a 400 `invalid_grant`. */
function grantRejection(error: unknown): string | null {
  if (error instanceof oauth.ResponseBodyError) return REJECTED_GRANT.has(error.error) ? error.error : null;
  const body = (error as { cause?: { body?: { error?: unknown } } } | null)?.cause?.body;
  if (typeof body?.error === "string" && REJECTED_GRANT.has(body.error)) return body.error;
  return null;
}

function describe(error: unknown): Record<string, unknown> {
  if (error instanceof oauth.ResponseBodyError) return { name: error.name, oauth_error: error.error, status: error.status };
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { message: String(error) };
}
