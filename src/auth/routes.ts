import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { accessTokenOf } from "../http/auth-guard.ts";
import type { ClientAddress } from "../http/client-address.ts";
import { Problem } from "../http/schemas.ts";
import type { AuthService } from "./auth-service.ts";
import type { OAuthService } from "./oauth-service.ts";
import {
  LoginBody,
  OAuthCallbackBody,
  OAuthSession,
  OAuthStart,
  OAuthStartQuery,
  ProviderList,
  ProviderParams,
  RefreshBody,
  RegisterBody,
  Session,
  TokenPair,
} from "./schemas.ts";
import { oauthSessionAnswer, providerListAnswer, sessionAnswer, tokenPairAnswer } from "./wire.ts";

const tags = ["auth"];

/** /api/auth/: registration, login, tokens and OAuth sign-in. Thin: each calls one service method. */
export function authRoutes({ auth, oauth, clientAddress }: { auth: AuthService; oauth: OAuthService; clientAddress: ClientAddress }) {
  return new Elysia({ prefix: "/api/auth" })
    .post("/register/", async ({ body, set, request, server }) => {
      const session = await auth.register(body, clientAddress(server, request));
      set.status = 201;
      return sessionAnswer(session);
    }, {
      body: RegisterBody,
      response: { 201: Session, 400: Problem, 409: Problem, 429: Problem },
      detail: {
        tags,
        summary: "Create a password account",
        description: "Answers the public profile and a token pair. 409 `username_taken` / `email_taken`; 429 `too_many_registrations` past the sign-ups allowed per client address.",
      },
    })
    .post("/login/", async ({ body, request, server }) => sessionAnswer(await auth.login(body, clientAddress(server, request))), {
      body: LoginBody,
      response: { 200: Session, 400: Problem, 401: Problem, 403: Problem, 429: Problem },
      detail: {
        tags,
        summary: "Log in with username or email and password",
        description: "401 `invalid_credentials` for an unknown login or a wrong password alike. Repeated failures: 429 `too_many_attempts` with Retry-After.",
      },
    })
    .post("/refresh/", ({ body }) => tokenPairAnswer(auth.refresh(body.refresh_token)), {
      body: RefreshBody,
      response: { 200: TokenPair, 400: Problem, 401: Problem, 403: Problem },
      detail: {
        tags,
        summary: "Rotate a refresh token",
        description: "The presented token stops working. Presenting an already used one revokes its whole family: 401 `refresh_token_reused`.",
      },
    })
    .post("/logout/", ({ body, set }) => {
      auth.logout(body.refresh_token);
      set.status = 204;
    }, {
      body: RefreshBody,
      response: { 204: Type.Void({ description: "Signed out" }), 400: Problem },
      detail: { tags, summary: "Revoke a refresh token and its family", description: "Idempotent: an unknown token is also 204." },
    })
    .get("/providers/", () => providerListAnswer(oauth.list()), {
      response: { 200: ProviderList },
      detail: { tags, summary: "The OAuth providers configured on this server" },
    })
    .get("/:provider/", ({ params, query, request, server }) => {
      const linkUserId = query.link ? auth.authenticate(accessTokenOf(request)).id : null;
      return oauth.start(params.provider, { redirectUri: query.redirect_uri, linkUserId }, clientAddress(server, request));
    }, {
      params: ProviderParams,
      query: OAuthStartQuery,
      response: { 200: OAuthStart, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem, 502: Problem },
      detail: {
        tags,
        summary: "Start an OAuth sign-in (GitHub, Google, Discord)",
        description:
          "Send the browser to `url`. The provider redirects to `redirect_uri` with `code` and `state`; POST them to the callback. 404 `provider_not_configured` when the provider is off; 429 `too_many_sign_ins` past the starts allowed per client address. With `link=true` and a bearer token, the sign-in joins the provider to the caller's own account (401 without a valid token).",
      },
    })
    .post("/:provider/callback/", async ({ params, body, request }) => {
      // Read only for a state started to link an account: a stale token sent along with an
      // ordinary sign-in must not break it.
      const callerOf = () => {
        const token = accessTokenOf(request);
        return token ? auth.authenticate(token) : null;
      };
      return oauthSessionAnswer(await oauth.finish(params.provider, body, callerOf));
    }, {
      params: ProviderParams,
      body: OAuthCallbackBody,
      response: { 200: OAuthSession, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 502: Problem },
      detail: {
        tags,
        summary: "Finish an OAuth sign-in",
        description:
          "Exchanges the code (PKCE), then signs in the user of this identity; or joins an existing account by email when both the provider and that account verified the address (a password account's address never counts as verified); or creates an account. A state started with `link=true` is finished only with the bearer token of the account that started it (403 `link_not_yours`) and joins the provider to it (409 `identity_linked_elsewhere` when another account has it). 400 `invalid_state` for an unknown, expired or reused state; 400 `invalid_code` when the provider refuses the code; 502 when the provider fails or times out.",
      },
    });
}
