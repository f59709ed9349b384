import type { FieldError } from "../errors.ts";

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
