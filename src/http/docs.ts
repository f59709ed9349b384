import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
// Swagger UI's bundle and stylesheet ship inside the binary: the docs work with no internet.
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { VERSION } from "../version.ts";
import { Problem } from "./schemas.ts";

export const DOCS_PATH = "/swagger";
export const SPEC_PATH = "/swagger/json";
const ASSETS = `${DOCS_PATH}/assets`;

/** The areas of the product, one tag each, in the order the docs list them. */
export const TAGS = [
  { name: "auth", description: "Registration, login, OAuth (GitHub, Google, Discord) and tokens" },
  { name: "profiles", description: "Profiles, referral codes" },
  { name: "xp", description: "The XP ledger and leaderboard" },
  { name: "rewards", description: "Daily check-in, streaks and streak freezes" },
  { name: "payments", description: "Razorpay orders for XP packages" },
  { name: "chat", description: "The global chat room (WebSocket) and its history" },
  { name: "operations", description: "Health and documentation" },
] as const;

function asset(path: string, contentType: string) {
  return () =>
    new Response(Bun.file(path), {
      headers: { "content-type": contentType, "cache-control": "public, max-age=86400" },
    });
}

type Json = Record<string, any>;

/** A route as the docs need it: where it is and the body schema it validates. */
export interface DocumentedRoute {
  method: string;
  path: string;
  hooks?: { body?: unknown; detail?: unknown };
}

export interface DocsOptions {
  /** COC_PUBLIC_URL: the document's server; "/" (this origin) without one. */
  publicUrl: string | null;
  /** The chat's WebSocket protocol, in Markdown (OpenAPI has no WebSockets: it goes in the chat tag). */
  chatProtocol: string;
  /** The app's routes, read when the document is first asked for. */
  routes: () => readonly DocumentedRoute[];
  /** Paths whose bodies may also be multipart/form-data. */
  multipartPaths: readonly string[];
  /** Whether GET /metrics exists (COC_METRICS_TOKEN): its security scheme is documented only then. */
  metrics: boolean;
}

const EDGE_REFUSALS = {
  description:
    "Refused before reaching the operation: 400 `malformed_json` or `too_deeply_nested`, 413 body over 1 MiB, 415 a body that is not JSON, 403 a CORS preflight from an origin not allowed.",
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
};

/**
 * Finishes the document Elysia's plugin generates, so that standard tools accept it as it is
 * (`@redocly/cli lint` with its recommended rules; generators such as openapi-typescript):
 * a server, the license, `security: []` on public operations, request bodies (the plugin leaves
 * them empty when the app parses bodies itself), no content on 204 answers, the edge's refusals as
 * a `4XX` answer of every operation, and the chat protocol in the chat tag.
 */
export function polishDocument(raw: Json, options: DocsOptions): Json {
  const document: Json = structuredClone(raw);
  document.servers = [{ url: options.publicUrl ?? "/", description: options.publicUrl ? "This server" : "This server (same origin)" }];
  // package.json says UNLICENSED: no license is granted to reuse this code.
  document.info.license = { name: "Proprietary", identifier: "LicenseRef-Proprietary" };
  document.tags = document.tags.map((tag: Json) => (tag.name === "chat" ? { ...tag, description: `${tag.description}.\n\n${options.chatProtocol}` } : tag));
  const bodies = new Map(options.routes().map((route) => [`${route.method.toLowerCase()} ${route.path.replace(/:(\w+)/g, "{$1}")}`, route.hooks?.body]));
  for (const [path, item] of Object.entries(document.paths as Json)) {
    for (const [method, operation] of Object.entries(item as Json)) {
      operation.security ??= [];
      const body = bodies.get(`${method} ${path}`);
      if (operation.requestBody && body !== undefined && Object.keys(operation.requestBody.content ?? {}).length === 0) {
        const schema = JSON.parse(JSON.stringify(body));
        operation.requestBody.content = { "application/json": { schema } };
        if (options.multipartPaths.includes(path)) operation.requestBody.content["multipart/form-data"] = { schema };
      }
      for (const [status, response] of Object.entries((operation.responses ?? {}) as Json)) {
        if (status === "204") delete response.content;
      }
      operation.responses = { ...operation.responses, "4XX": operation.responses?.["4XX"] ?? EDGE_REFUSALS };
    }
  }
  return document;
}

/** Swagger UI at /swagger and OpenAPI 3.1 at /swagger/json, every byte served by this binary. */
export function docs(options: DocsOptions) {
  let polished: Json | undefined;
  let polishedFrom: unknown;
  return new Elysia({ name: "coc-docs" })
    .get(`${ASSETS}/swagger-ui-bundle.js`, asset(swaggerBundle, "text/javascript; charset=utf-8"), { detail: { hide: true } })
    .get(`${ASSETS}/swagger-ui.css`, asset(swaggerCss, "text/css; charset=utf-8"), { detail: { hide: true } })
    .onAfterHandle(({ path, response }) => {
      if (path !== SPEC_PATH || response === null || typeof response !== "object") return;
      // The plugin caches its document; so does this, against the same object.
      if (polishedFrom !== response) {
        polished = polishDocument(response as Json, options);
        polishedFrom = response;
      }
      return polished;
    })
    .use(
      openapi({
        path: DOCS_PATH,
        specPath: SPEC_PATH,
        provider: "swagger-ui",
        exclude: { paths: [/^\/swagger/] },
        swagger: {
          // Absolute, so /swagger and /swagger/ both find the document.
          ...({ url: SPEC_PATH } as object),
          cdn: `${ASSETS}/swagger-ui-bundle.js`,
          theme: `${ASSETS}/swagger-ui.css`,
          autoDarkMode: true,
          // Swagger UI would otherwise send the document to an online validator.
          validatorUrl: "none",
          persistAuthorization: true,
        },
        documentation: {
          info: {
            title: "Code of Clans API",
            version: VERSION,
            description:
              "The HTTP API and WebSocket chat of the Code of Clans server. Errors are RFC 9457 " +
              "problem details (application/problem+json) with a stable `code`. Authenticate with " +
              "`Authorization: Bearer <access_token>`.",
          },
          tags: [...TAGS],
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
              ...(options.metrics ? { metricsToken: { type: "http", scheme: "bearer", description: "The COC_METRICS_TOKEN of the server" } } : {}),
            },
            schemas: { Problem: Problem as never },
          },
        },
      }),
    );
}
