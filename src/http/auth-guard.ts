import { Elysia } from "elysia";
import { bearerToken, type Caller } from "../auth/auth-service.ts";
import type { AppContext } from "../context.ts";
import { AppError } from "../errors.ts";

/**
 * The one guard: `{ auth: true }` on a route resolves `caller` from the bearer token (401 without
 * a valid one, 403 for a disabled account); `{ auth: "admin" }` also requires the admin role.
 * Routes that use it are documented with bearer security.
 */
export function authGuard(ctx: AppContext) {
  const { auth } = ctx.services;
  return new Elysia().macro({
    auth: (requirement: true | "admin") => ({
      detail: { security: [{ bearer: [] }] },
      resolve({ request }): { caller: Caller } {
        const caller = auth.authenticate(bearerToken(request.headers.get("authorization")));
        if (requirement === "admin" && caller.role !== "admin") {
          throw new AppError("forbidden", "admin_only", "Only admins may do this");
        }
        return { caller };
      },
    }),
  });
}
