import type { Elysia } from "elysia";
import { AppError } from "../errors.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-depth.ts";
import type { RequestLog } from "./request-log.ts";
import { problemResponse } from "./problem.ts";

const RAW_BODY = Symbol("coc.rawBody");

/** The body of a request exactly as it arrived (for HMAC checks over raw bytes: webhooks). */
export function rawBodyOf(request: Request): string {
  return (request as Request & { [RAW_BODY]?: string })[RAW_BODY] ?? "";
}

function isJson(contentType: string): boolean {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

function tooLarge(limit: number): AppError {
  return new AppError("payload_too_large", "payload_too_large", `Request bodies are limited to ${limit} bytes`);
}

/** Reads a body as text, refusing it as soon as it grows past `limit` bytes (chunked bodies too). */
async function readLimited(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
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
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

/**
 * Request bodies: at most `maxBodyBytes` (refused by Content-Length before reading, or while a
 * chunked body streams in), JSON only, nested at most MAX_JSON_DEPTH deep (checked before
 * JSON.parse, so a hostile body costs a scan and no tree). The raw text is kept for HMAC checks.
 */
export function jsonBodies(maxBodyBytes: number, requests: RequestLog) {
  return (app: Elysia) =>
    app
      .onRequest(({ request }) => {
        const declared = Number(request.headers.get("content-length") ?? "0");
        if (declared > maxBodyBytes) return requests.answerEarly(request, problemResponse(tooLarge(maxBodyBytes), requests.of(request).id));
      })
      .onParse(async ({ request, contentType }) => {
        const text = await readLimited(request, maxBodyBytes);
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
}
