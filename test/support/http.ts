import type { AnyElysia } from "elysia";
import type { App } from "../../src/app.ts";
import type { AppContext } from "../../src/context.ts";
import { startServer } from "../../src/server.ts";

export interface CallOptions {
  json?: unknown;
  body?: RequestInit["body"];
  headers?: Record<string, string>;
  token?: string;
}

export interface CallResult {
  status: number;
  headers: Headers;
  /** Parsed JSON when the answer is JSON (problem+json included), else the text. */
  body: any;
  text: string;
}

/** One request through `app.handle`, the way a client would send it. */
export async function call(app: { handle(request: Request): Promise<Response> }, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers = new Headers(options.headers);
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  if (options.token) headers.set("authorization", `Bearer ${options.token}`);
  const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
  return read(response);
}

export async function read(response: Response): Promise<CallResult> {
  const text = await response.text();
  const type = response.headers.get("content-type") ?? "";
  const body = type.includes("json") && text !== "" ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body, text };
}

/** Waits until the access log line of a request has been written (Elysia logs after the answer). */
export async function settled(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
}

export type { App };

/** A real server for `app` on 127.0.0.1 and a free port (WebSocket tests, fakes, the CLI). */
export async function startTestServer(ctx: AppContext, app: AnyElysia) {
  const running = await startServer(ctx, app, { port: 0, host: "127.0.0.1" });
  const base = `http://127.0.0.1:${running.url.port}`;
  return { running, base, wsBase: base.replace(/^http/, "ws"), stop: () => running.stop() };
}
