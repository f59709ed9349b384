import { describe, expect, test } from "bun:test";
import { jwtVerify, SignJWT } from "jose";
import { signJwt, verifyJwt } from "../../src/auth/jwt.ts";

const secret = "a-secret-of-at-least-thirty-two-characters";
const key = new TextEncoder().encode(secret);
const claims = { sub: "42", role: "user" as const, iat: 1_800_000_000, exp: 1_800_000_900 };

describe("HS256 tokens", () => {
  test("ours verify with jose, the library inside @elysiajs/jwt", async () => {
    const token = signJwt(claims, secret);
    const { payload, protectedHeader } = await jwtVerify(token, key, { currentDate: new Date(1_800_000_100_000), algorithms: ["HS256"] });
    expect(protectedHeader).toEqual({ alg: "HS256", typ: "JWT" });
    expect(payload).toEqual(claims);
  });

  test("jose's verify with ours", async () => {
    const token = await new SignJWT({ role: "admin" }).setProtectedHeader({ alg: "HS256" }).setSubject("7").setIssuedAt(1_800_000_000).setExpirationTime(1_800_000_600).sign(key);
    expect(verifyJwt(token, secret, 1_800_000_100)).toEqual({ ok: true, claims: { role: "admin", sub: "7", iat: 1_800_000_000, exp: 1_800_000_600 } });
  });

  test("expiry is exact against the given time", () => {
    const token = signJwt(claims, secret);
    expect(verifyJwt(token, secret, claims.exp - 1).ok).toBe(true);
    expect(verifyJwt(token, secret, claims.exp)).toEqual({ ok: false, reason: "expired" });
  });

  test("refuses other algorithms, other secrets, and broken tokens", async () => {
    const hs512 = await new SignJWT({ role: "user" }).setProtectedHeader({ alg: "HS512" }).setSubject("1").setIssuedAt(1).setExpirationTime(1_900_000_000).sign(key);
    expect(verifyJwt(hs512, secret, 100)).toEqual({ ok: false, reason: "malformed" });
    expect(verifyJwt(signJwt(claims, `${secret}x`), secret, 1_800_000_100)).toEqual({ ok: false, reason: "bad_signature" });
    for (const broken of ["", "a.b", "a.b.c.d", "###.###.###", `${signJwt(claims, secret)}x`]) {
      expect(verifyJwt(broken, secret, 1_800_000_100).ok).toBe(false);
    }
    const noRole = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setSubject("1").setIssuedAt(1).setExpirationTime(1_900_000_000).sign(key);
    expect(verifyJwt(noRole, secret, 100)).toEqual({ ok: false, reason: "malformed" });
  });
});
