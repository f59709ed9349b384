import { Elysia } from "elysia";
import type { Caller } from "../auth/auth-service.ts";
import { AppError } from "../errors.ts";

/** The token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | null): string | null {
  if (!header) return null;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

function isUpgrade(request: Request): boolean {
  return request.headers.get("upgrade")?.toLowerCase() === "websocket";
}

/** The subprotocol pair `["bearer", "<token>"]` a browser WebSocket can carry. */
function protocolToken(request: Request): string | null {
  const offered = (request.headers.get("sec-websocket-protocol") ?? "").split(",").map((item) => item.trim());
  return offered[0]?.toLowerCase() === "bearer" && offered[1] ? offered[1] : null;
}

/**
 * Where a request carries its access token: the Authorization header; and, on a WebSocket upgrade
 * only (browsers cannot set headers there), `?token=` or the `bearer` subprotocol. Never the query
 * string of an ordinary request: URLs end up in logs and Referer headers.
 */
export function accessTokenOf(request: Request): string | null {
  const header = bearerToken(request.headers.get("authorization"));
  if (header || !isUpgrade(request)) return header;
  return new URL(request.url).searchParams.get("token") || protocolToken(request);
}

/** Headers for a WebSocket upgrade: a client that offered the `bearer` subprotocol gets it back. */
export function upgradeHeaders(request: Request): Record<string, string> {
  return protocolToken(request) ? { "sec-websocket-protocol": "bearer" } : {};
}

/** Resolves an access token (or its absence) to the caller, or throws 401/403. */
export type Authenticate = (accessToken: string | null) => Promise<Caller>;

/**
 * The one guard, for HTTP routes and WebSocket upgrades alike: `{ auth: true }` resolves `caller`
 * (401 without a valid token, 403 for a disabled account, before any upgrade); `{ auth: "admin" }`
 * also requires the admin role. `{ viewer: true }`, for public routes that answer more to a
 * signed-in caller, resolves `viewer`: the caller, or null without a token (a bad token is still
 * a 401, so a client with a stale one refreshes it). Guarded routes are documented with bearer security.
 */
export function authGuard(authenticate: Authenticate) {
  return new Elysia().macro({
    viewer: (_: true) => ({
      detail: { security: [{}, { bearer: [] }] },
      async resolve({ request }): Promise<{ viewer: Caller | null }> {
        const token = accessTokenOf(request);
        return { viewer: token ? await authenticate(token) : null };
      },
    }),
    auth: (requirement: true | "admin") => ({
      detail: { security: [{ bearer: [] }] },
      async resolve({ request }): Promise<{ caller: Caller }> {
        const token = accessTokenOf(request);
        if (!token) throw new AppError("unauthorized", "not_authenticated", "Sign in first: send Authorization: Bearer <access_token>");
        const caller = await authenticate(token);
        if (requirement === "admin" && caller.role !== "admin") {
          throw new AppError("forbidden", "admin_only", "Only admins may do this");
        }
        return { caller };
      },
    }),
  });
}

export type AuthGuard = ReturnType<typeof authGuard>;
