/**
 * Fake GitHub, Google and Discord: real HTTP servers on 127.0.0.1 that speak each provider's
 * protocol closely enough for the product's real client (oauth4webapi) to sign in against them.
 * They check client credentials, redirect_uri and the PKCE verifier for real, and sign Google's
 * ID tokens (RS256) with a key published on their JWKS endpoint.
 */
import type { Clock } from "../../src/clock.ts";

export type FakeKind = "github" | "google" | "discord";

/** The person who "approves" at the provider on the next authorization. */
export interface FakePerson {
  id: string;
  login: string;
  email: string | null;
  emailVerified: boolean;
  avatarUrl?: string | null;
  name?: string;
}

/** Ways to misbehave, for the failure tests. */
export type FakeFailure =
  | "token_500"
  | "token_hang"
  | "profile_500"
  | "discovery_500"
  | "id_token_wrong_key"
  | "id_token_wrong_nonce"
  | "id_token_wrong_audience";

interface IssuedCode {
  clientId: string;
  redirectUri: string;
  challenge: string;
  method: string;
  nonce: string | null;
  person: FakePerson;
  used: boolean;
}

export const FAKE_CLIENT_ID = "fake-client-id";
export const FAKE_CLIENT_SECRET = "fake-client-secret";

function b64url(data: ArrayBuffer | Uint8Array | string): string {
  return Buffer.from(typeof data === "string" ? data : new Uint8Array(data)).toString("base64url");
}

async function rsaKey() {
  const pair = (await crypto.subtle.generateKey(
    { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    true,
    ["sign", "verify"],
  )) as CryptoKeyPair;
  return pair;
}

export class FakeOAuthProvider {
  /** The person who approves the next authorization. */
  person: FakePerson = { id: "1001", login: "octocat", email: "octocat@example.com", emailVerified: true };
  /** Fails every request of the kind named, until cleared. */
  failure: FakeFailure | null = null;
  /** Requests seen, by path (to prove what was and was not called). */
  readonly hits: string[] = [];

  readonly #codes = new Map<string, IssuedCode>();
  readonly #accessTokens = new Map<string, FakePerson>();
  readonly #hanging = new Set<() => void>();
  #server!: ReturnType<typeof Bun.serve>;
  #signing!: CryptoKeyPair;
  #otherKey!: CryptoKeyPair;
  #kid = "fake-key-1";

  private constructor(
    readonly kind: FakeKind,
    private readonly clock: Clock,
  ) {}

  static async start(kind: FakeKind, clock: Clock): Promise<FakeOAuthProvider> {
    const fake = new FakeOAuthProvider(kind, clock);
    if (kind === "google") {
      fake.#signing = await rsaKey();
      fake.#otherKey = await rsaKey();
    }
    fake.#server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (request) => fake.#handle(request) });
    return fake;
  }

  get base(): string {
    return `http://127.0.0.1:${this.#server.port}`;
  }

  /** The COC_* variables that point the product at this fake. */
  env(): Record<string, string> {
    switch (this.kind) {
      case "github":
        return {
          COC_GITHUB_CLIENT_ID: FAKE_CLIENT_ID,
          COC_GITHUB_CLIENT_SECRET: FAKE_CLIENT_SECRET,
          COC_GITHUB_WEB_URL: this.base,
          COC_GITHUB_API_URL: `${this.base}/api/v3`,
        };
      case "google":
        return { COC_GOOGLE_CLIENT_ID: FAKE_CLIENT_ID, COC_GOOGLE_CLIENT_SECRET: FAKE_CLIENT_SECRET, COC_GOOGLE_ISSUER: this.base };
      case "discord":
        return { COC_DISCORD_CLIENT_ID: FAKE_CLIENT_ID, COC_DISCORD_CLIENT_SECRET: FAKE_CLIENT_SECRET, COC_DISCORD_BASE_URL: this.base };
    }
  }

  stop(): void {
    for (const release of this.#hanging) release();
    this.#server.stop(true);
  }

  /**
   * Plays the browser and the person: opens the authorization URL, "approves", and returns the
   * code and state from the redirect to the frontend's callback page.
   */
  async approve(authorizationUrl: string): Promise<{ code: string; state: string; redirect: URL }> {
    const response = await fetch(authorizationUrl, { redirect: "manual" });
    if (response.status !== 302) throw new Error(`authorization refused: ${response.status} ${await response.text()}`);
    const redirect = new URL(response.headers.get("location")!);
    return { code: redirect.searchParams.get("code")!, state: redirect.searchParams.get("state")!, redirect };
  }

  #paths() {
    switch (this.kind) {
      case "github":
        return { authorize: "/login/oauth/authorize", token: "/login/oauth/access_token", profile: "/api/v3/user" };
      case "google":
        return { authorize: "/o/oauth2/v2/auth", token: "/token", profile: "/v1/userinfo" };
      case "discord":
        return { authorize: "/oauth2/authorize", token: "/api/oauth2/token", profile: "/api/users/@me" };
    }
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    this.hits.push(url.pathname);
    const paths = this.#paths();
    if (this.kind === "google" && url.pathname === "/.well-known/openid-configuration") return this.#discovery();
    if (this.kind === "google" && url.pathname === "/jwks") return Response.json({ keys: [await this.#publicJwk()] });
    if (url.pathname === paths.authorize && request.method === "GET") return this.#authorize(url);
    if (url.pathname === paths.token && request.method === "POST") return this.#token(request);
    if (url.pathname === paths.profile && request.method === "GET") return this.#profile(request);
    if (this.kind === "github" && url.pathname === "/api/v3/user/emails") return this.#githubEmails(request);
    return Response.json({ message: "Not Found" }, { status: 404 });
  }

  #discovery(): Response {
    if (this.failure === "discovery_500") return new Response("boom", { status: 500 });
    const paths = this.#paths();
    return Response.json({
      issuer: this.base,
      authorization_endpoint: `${this.base}${paths.authorize}`,
      token_endpoint: `${this.base}${paths.token}`,
      userinfo_endpoint: `${this.base}${paths.profile}`,
      jwks_uri: `${this.base}/jwks`,
      response_types_supported: ["code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["RS256"],
      code_challenge_methods_supported: ["S256"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
    });
  }

  #authorize(url: URL): Response {
    const params = url.searchParams;
    const redirectUri = params.get("redirect_uri");
    if (params.get("client_id") !== FAKE_CLIENT_ID || !redirectUri) return new Response("unknown client", { status: 400 });
    if (params.get("response_type") !== "code") return new Response("response_type must be code", { status: 400 });
    if (params.get("code_challenge_method") !== "S256" || !params.get("code_challenge")) {
      return new Response("PKCE S256 required", { status: 400 });
    }
    if (this.kind === "google" && !params.get("scope")?.split(" ").includes("openid")) return new Response("openid scope required", { status: 400 });
    const code = `code-${crypto.randomUUID()}`;
    this.#codes.set(code, {
      clientId: FAKE_CLIENT_ID,
      redirectUri,
      challenge: params.get("code_challenge")!,
      method: "S256",
      nonce: params.get("nonce"),
      person: { ...this.person },
      used: false,
    });
    const back = new URL(redirectUri);
    back.searchParams.set("code", code);
    back.searchParams.set("state", params.get("state") ?? "");
    return new Response(null, { status: 302, headers: { location: back.href } });
  }

  /** Token errors as each provider sends them: GitHub with HTTP 200, the others with 4xx. */
  #tokenError(error: string, status: number): Response {
    return this.kind === "github" ? Response.json({ error, error_description: error }) : Response.json({ error }, { status });
  }

  async #token(request: Request): Promise<Response> {
    if (this.failure === "token_500") return new Response("upstream exploded", { status: 500 });
    if (this.failure === "token_hang") {
      await new Promise<void>((resolve) => this.#hanging.add(resolve));
      return new Response("too late", { status: 504 });
    }
    const form = new URLSearchParams(await request.text());
    let clientId = form.get("client_id");
    let clientSecret = form.get("client_secret");
    const basic = request.headers.get("authorization");
    if (basic?.startsWith("Basic ")) {
      const [id, secret] = Buffer.from(basic.slice(6), "base64").toString().split(":");
      clientId = decodeURIComponent(id ?? "");
      clientSecret = decodeURIComponent(secret ?? "");
    }
    if (clientId !== FAKE_CLIENT_ID || clientSecret !== FAKE_CLIENT_SECRET) {
      return this.kind === "github" ? this.#tokenError("incorrect_client_credentials", 200) : this.#tokenError("invalid_client", 401);
    }
    if (form.get("grant_type") !== "authorization_code") return this.#tokenError("unsupported_grant_type", 400);
    const issued = this.#codes.get(form.get("code") ?? "");
    const badCode = this.kind === "github" ? "bad_verification_code" : "invalid_grant";
    if (!issued || issued.used) return this.#tokenError(badCode, 400);
    issued.used = true;
    if (form.get("redirect_uri") !== issued.redirectUri) return this.#tokenError("invalid_grant", 400);
    const verifier = form.get("code_verifier") ?? "";
    const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
    if (challenge !== issued.challenge) return this.#tokenError("invalid_grant", 400);

    const accessToken = `at-${crypto.randomUUID()}`;
    this.#accessTokens.set(accessToken, issued.person);
    const body: Record<string, unknown> = { access_token: accessToken, token_type: "bearer", scope: "read" };
    if (this.kind === "google") body.id_token = await this.#idToken(issued);
    if (this.kind !== "github") body.expires_in = 3600;
    return Response.json(body, { headers: { "cache-control": "no-store" } });
  }

  async #idToken(issued: IssuedCode): Promise<string> {
    const now = Math.floor(this.clock.now().getTime() / 1000);
    const claims = {
      iss: this.base,
      aud: this.failure === "id_token_wrong_audience" ? "someone-else" : issued.clientId,
      sub: issued.person.id,
      iat: now,
      exp: now + 3600,
      nonce: this.failure === "id_token_wrong_nonce" ? "not-the-nonce" : issued.nonce,
      email: issued.person.email,
      email_verified: issued.person.emailVerified,
      name: issued.person.name ?? issued.person.login,
      picture: issued.person.avatarUrl ?? null,
    };
    const key = this.failure === "id_token_wrong_key" ? this.#otherKey : this.#signing;
    const input = `${b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: this.#kid }))}.${b64url(JSON.stringify(claims))}`;
    const signature = await crypto.subtle.sign("RSASSA-PKCS1-v1_5", key.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64url(signature)}`;
  }

  async #publicJwk() {
    const jwk = await crypto.subtle.exportKey("jwk", this.#signing.publicKey);
    return { kty: jwk.kty, n: jwk.n, e: jwk.e, kid: this.#kid, alg: "RS256", use: "sig" };
  }

  #person(request: Request): FakePerson | null {
    const token = /^Bearer (.+)$/i.exec(request.headers.get("authorization") ?? "")?.[1];
    return token ? (this.#accessTokens.get(token) ?? null) : null;
  }

  #profile(request: Request): Response {
    if (this.failure === "profile_500") return new Response("profile service down", { status: 500 });
    const person = this.#person(request);
    if (!person) return Response.json({ message: "Bad credentials" }, { status: 401 });
    switch (this.kind) {
      case "github":
        return Response.json({ id: Number(person.id), login: person.login, avatar_url: person.avatarUrl ?? null, email: null, name: person.name ?? null });
      case "discord":
        return Response.json({
          id: person.id,
          username: person.login,
          global_name: person.name ?? null,
          avatar: person.avatarUrl ? "a1b2c3" : null,
          email: person.email,
          verified: person.emailVerified,
        });
      case "google":
        return Response.json({ sub: person.id, email: person.email, email_verified: person.emailVerified });
    }
  }

  #githubEmails(request: Request): Response {
    const person = this.#person(request);
    if (!person) return Response.json({ message: "Bad credentials" }, { status: 401 });
    const emails = person.email
      ? [
          { email: `${person.login}@users.noreply.github.com`, primary: false, verified: true, visibility: null },
          { email: person.email, primary: true, verified: person.emailVerified, visibility: "public" },
        ]
      : [];
    return Response.json(emails);
  }
}
