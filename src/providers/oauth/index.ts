import type { Config } from "../../config.ts";
import { DiscordProvider } from "./discord.ts";
import { GithubProvider } from "./github.ts";
import { GoogleProvider } from "./google.ts";
import type { OAuthProvider, ProviderName, ProviderOptions } from "./provider.ts";

export type { OAuthProfile, OAuthProvider, ProviderName } from "./provider.ts";
export { PROVIDER_NAMES } from "./provider.ts";

/** The configured providers; one without credentials is simply absent (off). */
export function createOAuthProviders(config: Config, options: ProviderOptions): Partial<Record<ProviderName, OAuthProvider>> {
  const providers: Partial<Record<ProviderName, OAuthProvider>> = {};
  if (config.github) providers.github = new GithubProvider(config.github, options);
  if (config.google) providers.google = new GoogleProvider(config.google, options);
  if (config.discord) providers.discord = new DiscordProvider(config.discord, options);
  return providers;
}
