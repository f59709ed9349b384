import { existsSync, realpathSync, statSync } from "node:fs";
import { extname, join, sep } from "node:path";
import { Elysia, NotFoundError } from "elysia";
import { AppError } from "../errors.ts";
import { pathKind } from "../http/edge-headers.ts";
import type { MediaStore } from "./media-store.ts";

/** A year: files whose names change with their content (and uploads, named at random) never go stale. */
const FOREVER = "public, max-age=31536000, immutable";

const notFound = (pathname: string) => new AppError("not_found", "not_found", `No file ${pathname}`);

/** GET /media/…: uploaded images, only names the store made, cached forever (a new upload gets a new name). */
export function mediaRoutes(media: MediaStore) {
  return new Elysia({ name: "coc-media" }).get(
    "/media/*",
    ({ path }) => {
      const stored = media.fileOf(path);
      if (!stored || !existsSync(stored.file)) throw notFound(path);
      return new Response(Bun.file(stored.file), { headers: { "content-type": stored.type, "cache-control": FOREVER } });
    },
    { detail: { hide: true } },
  );
}

/**
 * Names a bundler gives its output (`index-Bx7Kp2Qa.js`, `main.8d7e6f5a.css`): their content never
 * changes. A hash mixes kinds of characters; a word (`my-component.js`) does not.
 */
function isHashed(file: string): boolean {
  const segment = /[.-]([A-Za-z0-9_]{8,})\.[a-z0-9]+$/.exec(file)?.[1];
  return segment !== undefined && (/\d/.test(segment) || (/[a-z]/.test(segment) && /[A-Z]/.test(segment)));
}

/**
 * Resolves a URL path to a file inside `root`, or null when it names none. Never anything outside
 * the folder: `..`, encoded separators and symbolic links that lead out are refused.
 */
export function fileInside(root: string, pathname: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.split(/[\\/]/).includes("..")) return null;
  const candidate = join(root, decoded);
  if (candidate !== root && !candidate.startsWith(root + sep)) return null;
  if (!existsSync(candidate) || !statSync(candidate).isFile()) return null;
  const real = realpathSync(candidate);
  return real.startsWith(root + sep) ? real : null;
}

/**
 * A built single-page app from `root` (COC_WEB_ROOT) on every GET and HEAD outside the API, the
 * socket, the docs and media: files with their types (bundled, hashed ones cached for a year,
 * others revalidated), and `index.html`, never cached, for every path that names no file
 * (client-side routes such as /auth/github/callback). A path with an extension that names no file
 * is a 404: a missing script must not come back as HTML.
 */
export function webAppRoutes(root: string) {
  const index = join(root, "index.html");
  const answer = ({ path }: { path: string }) => {
    if (pathKind(path) !== "web") throw new NotFoundError();
    const file = fileInside(root, path);
    if (file) {
      const cache = file === index ? "no-store" : isHashed(file) ? FOREVER : "no-cache";
      return new Response(Bun.file(file), { headers: { "cache-control": cache } });
    }
    if (extname(path) !== "") throw notFound(path);
    return new Response(Bun.file(index), { headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
  };
  return new Elysia({ name: "coc-web-app" }).get("/*", answer, { detail: { hide: true } }).head("/*", answer, { detail: { hide: true } });
}
