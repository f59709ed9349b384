import * as oauth from "oauth4webapi";
import type { GoogleConfig } from "../../config.ts";
import { type AuthorizationRequest, BaseProvider, type CodeExchange, type OAuthProfile, type ProviderOptions } from "./provider.ts";

/**
 * Google by OpenID Connect: the endpoints come from discovery on the issuer; the ID token is
 * checked for issuer, audience, expiry and nonce, and its signature against the issuer's JWKS.
 */
export class GoogleProvider extends BaseProvider {
  readonly name = "google" as const;
  readonly label = "Google";
  override readonly usesNonce = true;
  #as: Promise<oauth.AuthorizationServer> | undefined;
  /** Keys fetched from jwks_uri, kept between sign-ins. */
  readonly #jwks: oauth.JWKSCacheInput = {};

  constructor(
    private readonly config: GoogleConfig,
    options: ProviderOptions,
  ) {
    super(config.clientId, config.clientSecret, [config.issuer], options);
  }

  /** Discovery, once; a failed attempt is forgotten so the next sign-in tries again. */
  #server(): Promise<oauth.AuthorizationServer> {
    this.#as ??= (async () => {
      const issuer = new URL(this.config.issuer);
      const response = await oauth.discoveryRequest(issuer, { algorithm: "oidc", ...this.requestOptions() });
      return oauth.processDiscoveryResponse(issuer, response);
    })();
    this.#as.catch(() => {
      this.#as = undefined;
    });
    return this.#as;
  }

  protected async authorizationEndpointUrl(request: AuthorizationRequest): Promise<URL> {
    const as = await this.#server();
    if (!as.authorization_endpoint) throw new Error("the issuer has no authorization_endpoint");
    return this.buildAuthorizationUrl(as.authorization_endpoint, "openid email profile", request);
  }

  protected async exchange(exchange: CodeExchange): Promise<OAuthProfile> {
    const as = await this.#server();
    const { tokens, response } = await this.redeemCode(as, exchange, {
      expectedNonce: exchange.nonce ?? oauth.expectNoNonce,
      requireIdToken: true,
    });
    await oauth.validateApplicationLevelSignature(as, response, { ...this.requestOptions(), [oauth.jwksCache]: this.#jwks });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    if (!claims) throw new Error("no ID token");
    const email = typeof claims.email === "string" ? claims.email : null;
    const name = typeof claims.name === "string" ? claims.name : null;
    return {
      providerUserId: claims.sub,
      login: email?.split("@")[0] || name || `google-${claims.sub.slice(-6)}`,
      email,
      emailVerified: email !== null && claims.email_verified === true,
      avatarUrl: typeof claims.picture === "string" ? claims.picture : null,
    };
  }
}
