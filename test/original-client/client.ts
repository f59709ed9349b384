/**
 * The original Code of Clans web app, as far as the server sees it (API.md, "Compatibility with
 * the original web client"): axios with the API base URL, tokens in localStorage, a bearer token on
 * every call while it holds one, one refresh-and-retry on a 401 (keeping only the new access token),
 * logging out when that fails, error toasts from `response.data.error`. A browser's cookie jar for
 * the one origin the app and the API share.
 */
export class OriginalClient {
  readonly localStorage = new Map<string, string>();
  readonly cookies = new Map<string, { value: string; path: string }>();
  /** Where the app navigated after giving up on its session. */
  location = "/";
  /** The last error toast it showed. */
  toast: string | null = null;

  constructor(readonly base: string) {}

  #cookieHeader(path: string): string | undefined {
    const sent = [...this.cookies].filter(([, c]) => path.startsWith(c.path)).map(([name, c]) => `${name}=${c.value}`);
    return sent.length > 0 ? sent.join("; ") : undefined;
  }

  #keepCookies(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const cookie = Bun.Cookie.parse(header);
      if (cookie.maxAge === 0 || cookie.value === "") this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, { value: cookie.value, path: cookie.path ?? "/" });
    }
  }

  /** One HTTP call as axios sends it; answers status and `response.data`. */
  async raw(method: string, path: string, body?: unknown, options: { multipart?: FormData; token?: string | null } = {}) {
    const headers: Record<string, string> = {};
    const token = options.token === undefined ? this.localStorage.get("access_token") : options.token;
    if (token) headers.authorization = `Bearer ${token}`;
    const cookie = this.#cookieHeader(path);
    if (cookie) headers.cookie = cookie;
    let payload: RequestInit["body"];
    if (options.multipart) payload = options.multipart;
    else if (body !== undefined) {
      headers["content-type"] = "application/json";
      payload = JSON.stringify(body);
    }
    const response = await fetch(`${this.base}${path}`, { method, headers, body: payload });
    this.#keepCookies(response);
    const text = await response.text();
    const data = text && (response.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text;
    return { status: response.status, data, headers: response.headers };
  }

  /** A call with the app's 401 handling: refresh once with the stored refresh token, retry, or log out. */
  async call(method: string, path: string, body?: unknown, options: { multipart?: FormData } = {}) {
    let answer = await this.raw(method, path, body, options);
    if (answer.status === 401 && this.localStorage.has("refresh_token")) {
      const refreshed = await this.raw("POST", "/api/auth/refresh/", { refresh_token: this.localStorage.get("refresh_token") }, { token: null });
      if (refreshed.status === 200) {
        // The app keeps only access_token from the answer.
        this.localStorage.set("access_token", refreshed.data.access_token);
        answer = await this.raw(method, path, body, options);
      } else {
        this.logout();
      }
    }
    if (answer.status >= 400) this.toast = answer.data?.error ?? "Something went wrong";
    return answer;
  }

  /** Stores a sign-in's tokens, as the login page and the OAuth callback page do. */
  signedIn(data: { access_token: string; refresh_token: string }): void {
    this.localStorage.set("access_token", data.access_token);
    this.localStorage.set("refresh_token", data.refresh_token);
    this.location = "/";
  }

  logout(): void {
    this.localStorage.delete("access_token");
    this.localStorage.delete("refresh_token");
    this.location = "/login";
  }

  /** The app's start: it loads the user; any error there logs it out. */
  async start() {
    const me = await this.call("GET", "/api/profiles/user/");
    if (me.status !== 200) this.logout();
    return me;
  }
}
