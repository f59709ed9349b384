import { Type } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import { type AuthGuard, accessTokenOf } from "../http/auth-guard.ts";
import type { ClientAddress } from "../http/client-address.ts";
import { Problem } from "../http/schemas.ts";
import type { AccountService } from "../users/account-service.ts";
import { Deleted } from "../users/schemas.ts";
import { accountDeletedAnswer } from "../users/wire.ts";
import type { AuthService } from "./auth-service.ts";
import type { OAuthService } from "./oauth-service.ts";
import { STATE_TTL_MS } from "./oauth-service.ts";
import {
  LoginBody,
  LogoutBody,
  OAuthCallbackBody,
  OAuthSession,
  OAuthStart,
  OAuthStartQuery,
  ProviderList,
  ProviderParams,
  Refreshed,
  RefreshBody,
  RegisterBody,
  Session,
} from "./schemas.ts";
import { oauthSessionAnswer, providerListAnswer, refreshedAnswer, sessionAnswer } from "./wire.ts";

const tags = ["auth"];

/** The cookie that carries a started sign-in's state to its callback, per provider. */
const stateCookie = (provider: string) => `coc_oauth_${provider}`;

export interface AuthRouteDeps {
  auth: AuthService;
  oauth: OAuthService;
  accounts: AccountService;
  guard: AuthGuard;
  clientAddress: ClientAddress;
  /** COC_PUBLIC_URL: when https, the state cookie is Secure. */
  publicUrl: string | null;
}

/** /api/auth/: registration, login, tokens and OAuth sign-in. Thin: each calls one service method. */
export function authRoutes({ auth, oauth, accounts, guard, clientAddress, publicUrl }: AuthRouteDeps) {
  const secure = publicUrl?.startsWith("https://") ?? false;
  const cookie = (name: string, value: string, maxAgeSeconds: number, path: string) =>
    new Bun.Cookie(name, value, { httpOnly: true, sameSite: "lax", secure, path, maxAge: maxAgeSeconds }).serialize();
  return new Elysia({ prefix: "/api/auth" })
    .use(guard)
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
    .post("/refresh/", async ({ body }) => refreshedAnswer(await auth.refresh(body.refresh_token)), {
      body: RefreshBody,
      response: { 200: Refreshed, 400: Problem, 401: Problem, 403: Problem },
      detail: {
        tags,
        summary: "Rotate a refresh token",
        description: "The presented token stops working; the answer carries the new pair and the user. Presenting an already used one revokes its whole family: 401 `refresh_token_reused`.",
      },
    })
    .post("/logout/", async ({ body, request, set }) => {
      await auth.logout({ refreshToken: body?.refresh_token, accessToken: accessTokenOf(request) });
      set.status = 204;
    }, {
      body: LogoutBody,
      response: { 204: Type.Void({ description: "Signed out" }), 400: Problem, 401: Problem },
      detail: {
        tags,
        summary: "Sign out a session",
        description: "With `{refresh_token}`: that token's session (its family) is revoked; an unknown token is also 204. With no body: the session the bearer token names (the token may have expired). Its access tokens stop working at once.",
      },
    })
    .delete("/user/delete/", async ({ caller }) => {
      await accounts.delete(caller.id);
      return accountDeletedAnswer();
    }, {
      auth: true,
      response: { 200: Deleted, 401: Problem, 403: Problem },
      detail: { tags, summary: "Delete the caller's account (the original frontend's path)", description: "The same as DELETE /api/profiles/user/." },
    })
    .get("/providers/", () => providerListAnswer(oauth.list()), {
      response: { 200: ProviderList },
      detail: { tags, summary: "The OAuth providers configured on this server" },
    })
    .get("/:provider/", async ({ params, query, request, server, set }) => {
      const linkUserId = query.link ? (await auth.authenticate(accessTokenOf(request))).id : null;
      const started = await oauth.start(params.provider, { redirectUri: query.redirect_uri, linkUserId }, clientAddress(server, request));
      // For clients that post only {code} to the callback (the original web client): the state
      // travels in an HttpOnly cookie, sent back only to this provider's callback.
      set.headers["set-cookie"] = cookie(stateCookie(params.provider), started.state, STATE_TTL_MS / 1000, `/api/auth/${params.provider}/`);
      return started;
    }, {
      params: ProviderParams,
      query: OAuthStartQuery,
      response: { 200: OAuthStart, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 429: Problem, 502: Problem },
      detail: {
        tags,
        summary: "Start an OAuth sign-in (GitHub, Google, Discord)",
        description:
          "Send the browser to `url`. The provider redirects to `redirect_uri` (by default the first allowed one for this provider) with `code` and `state`; POST them to the callback. The state is also set in an HttpOnly, SameSite=Lax cookie, for clients that post only the code. 404 `provider_not_configured` when the provider is off; 429 `too_many_sign_ins` past the starts allowed per client address. With `link=true` and a bearer token, the sign-in joins the provider to the caller's own account (401 without a valid token).",
      },
    })
    .post("/:provider/callback/", async ({ params, body, request, set }) => {
      const name = stateCookie(params.provider);
      const state = body.state ?? new Bun.CookieMap(request.headers.get("cookie") ?? "").get(name);
      if (!state) throw new AppError("validation", "invalid_state", "No sign-in state: send the state, or finish the sign-in in the browser that started it");
      // Read only for a state started to link an account: a stale token sent along with an
      // ordinary sign-in must not break it.
      const callerOf = async () => {
        const token = accessTokenOf(request);
        return token ? auth.authenticate(token) : null;
      };
      const outcome = await oauth.finish(params.provider, { code: body.code, state }, callerOf);
      set.headers["set-cookie"] = cookie(name, "", 0, `/api/auth/${params.provider}/`);
      return oauthSessionAnswer(outcome);
    }, {
      params: ProviderParams,
      body: OAuthCallbackBody,
      response: { 200: OAuthSession, 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 502: Problem },
      detail: {
        tags,
        summary: "Finish an OAuth sign-in",
        description:
          "Exchanges the code (PKCE), then signs in the user of this identity; or joins an existing account by email when both the provider and that account verified the address (a password account's address never counts as verified); or creates an account. Without `state` in the body, the state cookie set by the start is used. A state started with `link=true` is finished only with the bearer token of the account that started it (403 `link_not_yours`) and joins the provider to it (409 `identity_linked_elsewhere` when another account has it). 400 `invalid_state` for an unknown, expired or reused state (or none at all); 400 `invalid_code` when the provider refuses the code; 502 when the provider fails or times out.",
      },
    });
}
