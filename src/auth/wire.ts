import { publicProfileAnswer } from "../users/wire.ts";
import type { Session } from "./auth-service.ts";
import type { OAuthOutcome, ProviderInfo } from "./oauth-service.ts";
import type { OAuthSessionAnswer, ProviderListAnswer, RefreshedAnswer, SessionAnswer, TokenPairAnswer } from "./schemas.ts";
import type { IssuedTokens } from "./token-service.ts";

export function tokenPairAnswer(tokens: IssuedTokens): TokenPairAnswer {
  return { access_token: tokens.accessToken, refresh_token: tokens.refreshToken, token_type: "Bearer", expires_in: tokens.expiresIn };
}

/** A sign-in's answer: the user (the caller's own: with the referral code in `profile`) and the tokens. */
export function sessionAnswer(session: Session): SessionAnswer {
  return { user: publicProfileAnswer(session.user, true), ...tokenPairAnswer(session.tokens) };
}

export function refreshedAnswer(session: Session): RefreshedAnswer {
  return { ...tokenPairAnswer(session.tokens), user: publicProfileAnswer(session.user, true) };
}

export function oauthSessionAnswer(outcome: OAuthOutcome): OAuthSessionAnswer {
  return { ...sessionAnswer(outcome), created: outcome.created, linked: outcome.linked };
}

export function providerListAnswer(providers: ProviderInfo[]): ProviderListAnswer {
  return { items: providers.map((p) => ({ name: p.name, label: p.label, start_url: `/api/auth/${p.name}/` })), next_cursor: null };
}
