import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { AppError } from "../errors.ts";

/** Where uploaded images go, under the data folder, and the URL path they are served at. */
export type MediaFolder = "avatars" | "banners";

/** The image kinds accepted, judged by their first bytes (never by a name or a declared type). */
const KINDS = [
  { ext: "png", type: "image/png", test: (b: Uint8Array) => b.length > 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47 && b[4] === 0x0d && b[5] === 0x0a && b[6] === 0x1a && b[7] === 0x0a },
  { ext: "jpg", type: "image/jpeg", test: (b: Uint8Array) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { ext: "gif", type: "image/gif", test: (b: Uint8Array) => b.length > 6 && (ascii(b, 0, 6) === "GIF87a" || ascii(b, 0, 6) === "GIF89a") },
  { ext: "webp", type: "image/webp", test: (b: Uint8Array) => b.length > 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 12) === "WEBP" },
] as const;

function ascii(bytes: Uint8Array, from: number, to: number): string {
  return String.fromCharCode(...bytes.subarray(from, to));
}

export const MEDIA_PREFIX = "/media/";
/** Only names this store makes are ever served or removed: nothing else can be reached through it. */
const STORED = /^\/media\/(avatars|banners)\/([0-9a-f]{32})\.(png|jpg|gif|webp)$/;

export function contentTypeOf(ext: string): string {
  return KINDS.find((kind) => kind.ext === ext)?.type ?? "application/octet-stream";
}

/**
 * Uploaded images (avatars, banners) in `<data dir>/media/`, each under a fresh random name, so a
 * name is never reused and its URL can be cached forever. Files are checked by their bytes and
 * size before anything is written.
 */
export class MediaStore {
  constructor(
    private readonly root: string,
    readonly maxBytes: number,
  ) {}

  /** Throws `validation_failed` at `path` unless `bytes` are a PNG, JPEG, WebP or GIF of at most maxBytes. */
  check(bytes: Uint8Array, path: string): void {
    const fail = (message: string) => new AppError("validation", "validation_failed", "The image is not accepted", { errors: [{ path, message }] });
    if (bytes.byteLength > this.maxBytes) throw fail(`must be at most ${Math.floor(this.maxBytes / 1024)} KiB`);
    if (!KINDS.some((kind) => kind.test(bytes))) throw fail("must be a PNG, JPEG, WebP or GIF image");
  }

  /** Writes checked image bytes; answers the URL path they are served at (`/media/avatars/….png`). */
  save(folder: MediaFolder, bytes: Uint8Array): string {
    const kind = KINDS.find((candidate) => candidate.test(bytes));
    if (!kind) throw new AppError("validation", "validation_failed", "The image is not accepted");
    const name = `${Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex")}.${kind.ext}`;
    const dir = join(this.root, folder);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, name);
    writeFileSync(file, bytes, { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
    return `${MEDIA_PREFIX}${folder}/${name}`;
  }

  /** The file behind a URL path this store made, or null for anything else. */
  fileOf(urlPath: string | null | undefined): { file: string; type: string } | null {
    const match = urlPath ? STORED.exec(urlPath) : null;
    if (!match) return null;
    return { file: join(this.root, match[1]!, `${match[2]}.${match[3]}`), type: contentTypeOf(match[3]!) };
  }

  /** Deletes the file behind a URL this store made (an image replaced or an account deleted); anything else is left alone. */
  remove(urlPath: string | null | undefined): void {
    const stored = this.fileOf(urlPath);
    if (stored) rmSync(stored.file, { force: true });
  }
}
