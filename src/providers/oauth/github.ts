import type * as oauth from "oauth4webapi";
import type { GithubConfig } from "../../config.ts";
import { type AuthorizationRequest, BaseProvider, type CodeExchange, type OAuthProfile, type ProviderOptions } from "./provider.ts";

interface GithubUser {
  id: number;
  login: string;
  avatar_url?: string | null;
}

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/** GitHub (or GitHub Enterprise): OAuth 2 with PKCE; the profile from /user and /user/emails. */
export class GithubProvider extends BaseProvider {
  readonly name = "github" as const;
  readonly label = "GitHub";
  readonly #as: oauth.AuthorizationServer;

  constructor(
    private readonly config: GithubConfig,
    options: ProviderOptions,
  ) {
    super(config.clientId, config.clientSecret, [config.webUrl, config.apiUrl], options);
    this.#as = {
      issuer: config.webUrl,
      authorization_endpoint: `${config.webUrl}/login/oauth/authorize`,
      token_endpoint: `${config.webUrl}/login/oauth/access_token`,
    };
  }

  protected async authorizationEndpointUrl(request: AuthorizationRequest): Promise<URL> {
    return this.buildAuthorizationUrl(this.#as.authorization_endpoint!, "read:user user:email", request);
  }

  protected async exchange(exchange: CodeExchange): Promise<OAuthProfile> {
    const { tokens } = await this.redeemCode(this.#as, exchange);
    const headers = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" };
    const [user, emails] = await Promise.all([
      this.getJson<GithubUser>(tokens.access_token, `${this.config.apiUrl}/user`, headers),
      this.getJson<GithubEmail[]>(tokens.access_token, `${this.config.apiUrl}/user/emails`, headers),
    ]);
    // Only the primary address, and only when GitHub verified it, may link to an existing account.
    const primary = Array.isArray(emails) ? emails.find((email) => email.primary) : undefined;
    return {
      providerUserId: String(user.id),
      login: user.login,
      email: primary?.email ?? null,
      emailVerified: primary?.verified === true,
      avatarUrl: user.avatar_url ?? null,
    };
  }
}
