import type * as oauth from "oauth4webapi";
import type { DiscordConfig } from "../../config.ts";
import { type AuthorizationRequest, BaseProvider, type CodeExchange, type OAuthProfile, type ProviderOptions } from "./provider.ts";

interface DiscordUser {
  id: string;
  username: string;
  global_name?: string | null;
  avatar?: string | null;
  email?: string | null;
  verified?: boolean;
}

/** Discord: OAuth 2 with PKCE; the profile from /api/users/@me with its `verified` flag. */
export class DiscordProvider extends BaseProvider {
  readonly name = "discord" as const;
  readonly label = "Discord";
  readonly #as: oauth.AuthorizationServer;

  constructor(
    private readonly config: DiscordConfig,
    options: ProviderOptions,
  ) {
    super(config.clientId, config.clientSecret, [config.baseUrl], options);
    this.#as = {
      issuer: config.baseUrl,
      authorization_endpoint: `${config.baseUrl}/oauth2/authorize`,
      token_endpoint: `${config.baseUrl}/api/oauth2/token`,
    };
  }

  protected async authorizationEndpointUrl(request: AuthorizationRequest): Promise<URL> {
    return this.buildAuthorizationUrl(this.#as.authorization_endpoint!, "identify email", request);
  }

  protected async exchange(exchange: CodeExchange): Promise<OAuthProfile> {
    const { tokens } = await this.redeemCode(this.#as, exchange);
    const user = await this.getJson<DiscordUser>(tokens.access_token, `${this.config.baseUrl}/api/users/@me`);
    return {
      providerUserId: user.id,
      login: user.username,
      email: user.email ?? null,
      emailVerified: user.verified === true && Boolean(user.email),
      avatarUrl: user.avatar ? `https://cdn.discordapp.com/avatars/${user.id}/${user.avatar}.png` : null,
    };
  }
}
