import type { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";
import type { ArrivalStep, RequestLog } from "./request-log.ts";
import { problemResponse } from "./problem.ts";

const RAW_BODY = Symbol("coc.rawBody");

/** The body of a request exactly as it arrived (for HMAC checks over raw bytes: webhooks). */
export function rawBodyOf(request: Request): string {
  return (request as Request & { [RAW_BODY]?: string })[RAW_BODY] ?? "";
}

function mediaType(contentType: string | null | undefined): string {
  return contentType?.split(";")[0]?.trim().toLowerCase() ?? "";
}

function isJson(contentType: string): boolean {
  const type = mediaType(contentType);
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

const MULTIPART = "multipart/form-data";

/** Routes that also take multipart/form-data (profile edits with image files), and how large. */
export interface Uploads {
  paths: readonly string[];
  /** Largest body of such a request, in bytes. */
  maxBytes: number;
}

/** The path as routes are written: with a trailing slash. */
const withSlash = (path: string) => (path.endsWith("/") ? path : `${path}/`);

/** A multipart body as the members of an object: text fields as strings, files as File objects. */
function formMembers(form: { entries(): Iterable<[string, unknown]> }): Record<string, unknown> {
  const members: Record<string, unknown> = {};
  for (const [key, value] of form.entries()) if (!(key in members)) members[key] = value;
  return members;
}

function tooLarge(limit: number): AppError {
  return new AppError("payload_too_large", "payload_too_large", `Request bodies are limited to ${limit} bytes`);
}

/** Reads a body, refusing it as soon as it grows past `limit` bytes (chunked bodies too). */
async function readLimited(request: Request, limit: number): Promise<Buffer> {
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Request bodies: at most `maxBodyBytes` (refused by Content-Length before reading, or while a
 * chunked body streams in), JSON only, nested at most MAX_JSON_DEPTH deep (checked before
 * JSON.parse, so a hostile body costs a scan and no tree). The raw text is kept for HMAC checks.
 * The upload paths also take multipart/form-data, up to `uploads.maxBytes`. Answers the step that
 * refuses a declared length too large, and the parser.
 */
export function jsonBodies(maxBodyBytes: number, requests: RequestLog, uploads: Uploads) {
  const uploadPaths = new Set(uploads.paths.map(withSlash));
  const limitFor = (pathname: string, contentType: string | null) =>
    mediaType(contentType) === MULTIPART && uploadPaths.has(withSlash(pathname)) ? uploads.maxBytes : maxBodyBytes;
  const declaredLength: ArrivalStep = (request, _answer, state) => {
    const declared = request.headers.get("content-length");
    if (declared === null) return undefined;
    const limit = limitFor(state.pathname, request.headers.get("content-type"));
    return Number(declared) > limit ? requests.answerEarly(request, problemResponse(tooLarge(limit), state.id)) : undefined;
  };
  const parse = (app: Elysia) =>
    app.onParse(async ({ request, contentType, path }) => {
      const type = mediaType(contentType);
      const limit = limitFor(path, contentType ?? null);
      const bytes = await readLimited(request, limit);
      if (type === MULTIPART && limit === uploads.maxBytes) {
        try {
          // The full header: Elysia's contentType has lost the boundary.
          const header = request.headers.get("content-type") ?? "";
          return formMembers(await new Response(bytes, { headers: { "content-type": header } }).formData());
        } catch {
          throw new AppError("validation", "malformed_multipart", "The multipart body could not be read");
        }
      }
      const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
      (request as Request & { [RAW_BODY]?: string })[RAW_BODY] = text;
      if (text.trim() === "") return null;
      if (!isJson(contentType ?? "")) {
        throw new AppError("unsupported_media_type", "unsupported_media_type", "Send JSON with Content-Type: application/json");
      }
      if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
        throw new AppError("validation", "too_deeply_nested", `JSON bodies may nest at most ${MAX_JSON_DEPTH} levels deep`);
      }
      try {
        return JSON.parse(text);
      } catch {
        throw new AppError("validation", "malformed_json", "The request body is not valid JSON");
      }
    });
  return { declaredLength, parse };
}
