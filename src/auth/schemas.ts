import { type Static, Type } from "@sinclair/typebox";
import { t } from "elysia";
import { PROVIDER_NAMES } from "../providers/oauth/provider.ts";
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH, USERNAME_PATTERN } from "../users/rules.ts";
import { PublicProfile } from "../users/schemas.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password.ts";

const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH, description: `At least ${MIN_PASSWORD_LENGTH} characters` });

export const RegisterBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, description: "3–30 letters, digits, '_' or '-'; unique ignoring case" }),
    email: Type.String({ pattern: EMAIL_PATTERN, maxLength: MAX_EMAIL_LENGTH, description: "Unique ignoring case" }),
    password: Password,
  },
  { additionalProperties: false, title: "Register" },
);

export const LoginBody = Type.Object(
  {
    login: Type.String({ minLength: 1, maxLength: 254, description: "Username or email" }),
    password: Type.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false, title: "Login" },
);

export const RefreshBody = Type.Object({ refresh_token: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false, title: "RefreshToken" });

/** Logout: the refresh token of the session to end; or no body, and the bearer token names it. */
export const LogoutBody = Type.Optional(
  Type.Object({ refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })) }, { additionalProperties: false, title: "Logout" }),
);

const tokenFields = {
  access_token: Type.String({ description: "JWT (HS256); send as Authorization: Bearer <access_token>" }),
  refresh_token: Type.String({ description: "Opaque; single use: each refresh returns a new one" }),
  token_type: Type.Literal("Bearer"),
  expires_in: Type.Integer({ description: "Seconds until the access token expires" }),
};

export const TokenPair = Type.Object(tokenFields, { title: "TokenPair" });
/** A refresh answer: the new pair, and the user (the original web client reads it). */
export const Refreshed = Type.Object({ ...tokenFields, user: PublicProfile }, { title: "Refreshed" });
export const Session = Type.Object({ user: PublicProfile, ...tokenFields }, { title: "Session" });
export const OAuthSession = Type.Object(
  {
    user: PublicProfile,
    ...tokenFields,
    created: Type.Boolean({ description: "True when this sign-in created the account" }),
    linked: Type.Boolean({ description: "True when this sign-in joined the provider to an existing account" }),
  },
  { title: "OAuthSession" },
);

export const ProviderParams = Type.Object({ provider: Type.String({ description: PROVIDER_NAMES.join(", ") }) });

/** Query strings: Elysia's `t` reads `link=true` as a boolean. */
export const OAuthStartQuery = t.Object({
  redirect_uri: t.Optional(t.String({ description: "Where the provider sends the browser back; must be on COC_OAUTH_REDIRECT_URIS" })),
  link: t.Optional(
    t.Boolean({
      description: "true: join this provider to the signed-in caller's account (send the bearer token here and again with the callback)",
    }),
  ),
});

export const OAuthStart = Type.Object(
  {
    url: Type.String({ description: "The provider's authorization URL (carries state and a PKCE S256 challenge)" }),
    state: Type.String({ description: "Single use, valid 10 minutes; send it back with the code" }),
  },
  { title: "OAuthStart" },
);

export const OAuthCallbackBody = Type.Object(
  {
    code: Type.String({ minLength: 1, maxLength: 2048 }),
    state: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: "The state of the start answer; without it, the one the start set in an HttpOnly cookie (the original web client's way)" }),
    ),
  },
  { additionalProperties: false, title: "OAuthCallback" },
);

export const ProviderList = Type.Object(
  {
    items: Type.Array(Type.Object({ name: Type.String(), label: Type.String(), start_url: Type.String() })),
    next_cursor: Type.Null(),
  },
  { title: "ProviderList" },
);

export type TokenPairAnswer = Static<typeof TokenPair>;
export type RefreshedAnswer = Static<typeof Refreshed>;
export type SessionAnswer = Static<typeof Session>;
export type OAuthSessionAnswer = Static<typeof OAuthSession>;
export type ProviderListAnswer = Static<typeof ProviderList>;
