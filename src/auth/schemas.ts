import { t } from "elysia";
import { EMAIL_PATTERN, MAX_EMAIL_LENGTH, USERNAME_PATTERN } from "../users/rules.ts";
import { PublicProfile } from "../users/schemas.ts";
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from "./password.ts";

const Password = t.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: MAX_PASSWORD_LENGTH, description: `At least ${MIN_PASSWORD_LENGTH} characters` });

export const RegisterBody = t.Object(
  {
    username: t.String({ pattern: USERNAME_PATTERN, description: "3–30 letters, digits, '_' or '-'; unique ignoring case" }),
    email: t.String({ pattern: EMAIL_PATTERN, maxLength: MAX_EMAIL_LENGTH, description: "Unique ignoring case" }),
    password: Password,
  },
  { additionalProperties: false },
);

export const LoginBody = t.Object(
  {
    login: t.String({ minLength: 1, maxLength: 254, description: "Username or email" }),
    password: t.String({ minLength: 1, maxLength: MAX_PASSWORD_LENGTH }),
  },
  { additionalProperties: false },
);

export const RefreshBody = t.Object({ refresh_token: t.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });

const tokenFields = {
  access_token: t.String({ description: "JWT (HS256); send as Authorization: Bearer <access_token>" }),
  refresh_token: t.String({ description: "Opaque; single use: each refresh returns a new one" }),
  token_type: t.Literal("Bearer"),
  expires_in: t.Integer({ description: "Seconds until the access token expires" }),
};

export const TokenPair = t.Object(tokenFields, { title: "TokenPair" });
export const Session = t.Object({ user: PublicProfile, ...tokenFields }, { title: "Session" });
export const OAuthSession = t.Object(
  {
    user: PublicProfile,
    ...tokenFields,
    created: t.Boolean({ description: "True when this sign-in created the account" }),
    linked: t.Boolean({ description: "True when this sign-in joined the provider to an existing account" }),
  },
  { title: "OAuthSession" },
);

export const ProviderParams = t.Object({ provider: t.String({ description: "github, google or discord" }) });

export const OAuthStartQuery = t.Object({
  redirect_uri: t.Optional(t.String({ description: "Where the provider sends the browser back; must be on COC_OAUTH_REDIRECT_URIS" })),
  link: t.Optional(
    t.Boolean({
      description: "true: join this provider to the signed-in caller's account (send the bearer token here and again with the callback)",
    }),
  ),
});

export const OAuthStart = t.Object(
  {
    url: t.String({ description: "The provider's authorization URL (carries state and a PKCE S256 challenge)" }),
    state: t.String({ description: "Single use, valid 10 minutes; send it back with the code" }),
  },
  { title: "OAuthStart" },
);

export const OAuthCallbackBody = t.Object(
  { code: t.String({ minLength: 1, maxLength: 2048 }), state: t.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const ProviderList = t.Object(
  {
    items: t.Array(t.Object({ name: t.String(), label: t.String(), start_url: t.String() })),
    next_cursor: t.Null(),
  },
  { title: "ProviderList" },
);
