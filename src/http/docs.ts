import { openapi } from "@elysiajs/openapi";
import { Problem as ProblemSchema } from "./schemas.ts";
import { Elysia } from "elysia";
// Swagger UI's bundle and stylesheet ship inside the binary: the docs work with no internet.
import swaggerBundle from "swagger-ui-dist/swagger-ui-bundle.js" with { type: "file" };
import swaggerCss from "swagger-ui-dist/swagger-ui.css" with { type: "file" };
import { CHAT_PROTOCOL } from "../chat/routes.ts";
import { VERSION } from "../version.ts";

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

/** The chat's WebSocket, described as the GET upgrade request a client sends. */
const CHAT_DOCS = {
  "/ws/chat/": {
    get: {
      tags: ["chat"],
      summary: "The global chat room (WebSocket)",
      description: CHAT_PROTOCOL,
      security: [{ bearer: [] }],
      parameters: [
        { name: "token", in: "query", required: false, description: "Access token (browsers cannot set headers on a WebSocket)", schema: { type: "string" } },
        { name: "Sec-WebSocket-Protocol", in: "header", required: false, description: "Alternatively: `bearer, <access_token>`", schema: { type: "string" } },
      ],
      responses: {
        "101": { description: "Switching Protocols: the socket is open; frames as described above" },
        "401": {
          description: "No or bad token: the upgrade is refused",
          content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
        },
      },
    },
  },
};

/** Swagger UI at /swagger and OpenAPI 3.1 at /swagger/json, every byte served by this binary. */
export function docs() {
  return new Elysia({ name: "coc-docs" })
    .get(`${ASSETS}/swagger-ui-bundle.js`, asset(swaggerBundle, "text/javascript; charset=utf-8"), {
      detail: { hide: true },
    })
    .get(`${ASSETS}/swagger-ui.css`, asset(swaggerCss, "text/css; charset=utf-8"), { detail: { hide: true } })
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
          // Plain OpenAPI objects: typed loosely, checked by test/http/docs.test.ts.
          paths: CHAT_DOCS as never,
          components: {
            securitySchemes: {
              bearer: { type: "http", scheme: "bearer", bearerFormat: "JWT" },
            },
            schemas: { Problem: ProblemSchema as never },
          },
        },
      }),
    );
}
