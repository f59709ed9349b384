import type { FieldError } from "../errors.ts";

/** Referral rewards one referrer may receive in any 24 hours unless COC_REFERRAL_DAILY_CAP says otherwise. */
export const DEFAULT_REFERRAL_DAILY_CAP = 10;

/** Names that collide with routes (`/api/profiles/user/`, `/api/auth/github/` …). */
export const RESERVED_USERNAMES = new Set(["user", "users", "admin", "me", "providers", "github", "google", "discord"]);

export const USERNAME_PATTERN = "^[A-Za-z0-9_-]{3,30}$";
const USERNAME = new RegExp(USERNAME_PATTERN);
/** Deliberately loose: one @, something on each side, a dot in the domain. Mail delivery decides the rest. */
export const EMAIL_PATTERN = "^[^\\s@]+@[^\\s@]+\\.[^\\s@]+$";
const EMAIL = new RegExp(EMAIL_PATTERN);
export const MAX_EMAIL_LENGTH = 254;

export function usernameProblem(username: string): FieldError | null {
  if (!USERNAME.test(username)) {
    return { path: "/username", message: "must be 3–30 letters, digits, '_' or '-'" };
  }
  if (RESERVED_USERNAMES.has(username.toLowerCase())) {
    return { path: "/username", message: `"${username}" is reserved` };
  }
  return null;
}

export function emailProblem(email: string): FieldError | null {
  if (email.length > MAX_EMAIL_LENGTH || !EMAIL.test(email)) return { path: "/email", message: "must be an email address" };
  return null;
}

/**
 * Turns a provider login ("Ada Lovelace", "ada.l", "李") into a valid username base: allowed
 * characters only, 3–30 long, never reserved. De-duplication happens against the database.
 */
export function usernameBase(login: string): string {
  let base = login
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 30);
  if (base.length < 3) base = `${base || "user"}-${"0".repeat(3)}`.slice(0, 30);
  if (RESERVED_USERNAMES.has(base.toLowerCase())) base = `${base}-1`;
  return base;
}

/** The social links a profile may carry. */
export const LINK_KEYS = ["github", "gitlab", "linkedin", "leetcode", "codeforces", "codechef", "hackerrank", "twitter", "website"] as const;
export const MAX_BIO_LENGTH = 500;
/** first_name and last_name, as the original service allowed. */
export const MAX_NAME_LENGTH = 150;
const MAX_URL_LENGTH = 2048;
/** A handle on a site (`ada_l`, `@ada.l`): what a link may be instead of a URL, except a website. */
export const HANDLE = /^@?[A-Za-z0-9_.-]{1,100}$/;

/** An absolute http(s) URL without credentials, or null. */
export function httpUrl(text: string): string | null {
  if (text.length > MAX_URL_LENGTH) return null;
  try {
    const url = new URL(text);
    if ((url.protocol !== "http:" && url.protocol !== "https:") || url.username || url.password || !url.hostname) return null;
    return url.href;
  } catch {
    return null;
  }
}

/**
 * The handle a link holds: itself when it is a handle, the first path segment of a URL on the
 * site's own host (`https://github.com/ada` → `ada`), else null. What the original web client
 * shows as `github_username` / `leetcode_username`.
 */
export function handleOf(site: "github" | "leetcode", link: string | undefined): string | null {
  if (!link) return null;
  if (HANDLE.test(link)) return link;
  try {
    const url = new URL(link);
    const host = site === "github" ? "github.com" : "leetcode.com";
    if (url.hostname !== host && url.hostname !== `www.${host}`) return null;
    const segments = url.pathname.split("/").filter(Boolean);
    const name = site === "leetcode" && segments[0] === "u" ? segments[1] : segments[0];
    return name && HANDLE.test(name) ? name : null;
  } catch {
    return null;
  }
}
