import { describe, expect, test } from "bun:test";
import { realServer, stopServersAfterEach } from "./support.ts";

stopServersAfterEach();

const PASSWORD = "correct horse battery";

async function withOwner() {
  const s = await realServer();
  expect((await s.from("203.0.113.10").register("ada", "ada@example.com", PASSWORD)).status).toBe(201);
  return s;
}

const statuses = (answers: { status: number }[]) => {
  const out: Record<number, number> = {};
  for (const { status } of answers) out[status] = (out[status] ?? 0) + 1;
  return out;
};

describe("password guessing", () => {
  test("24 wrong passwords sent at once from one address: 10 are tried, 14 refused before any hashing", async () => {
    const s = await withOwner();
    const hashedBefore = s.ctx.services.passwords.verifications;
    const attacker = s.from("198.51.100.66");
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => attacker.login("ada", `guess ${i}`)));
    expect(statuses(answers)).toEqual({ 401: 10, 429: 14 });
    expect(s.ctx.services.passwords.verifications - hashedBefore).toBe(10);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.body.code).toBe("too_many_attempts");
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  test("a burst of 50 from one address locks that address only: the owner signs in from another", async () => {
    const s = await withOwner();
    const attacker = s.from("198.51.100.66");
    await Promise.all(Array.from({ length: 50 }, (_, i) => attacker.login("ada", `guess ${i}`)));
    expect((await attacker.login("ada", PASSWORD)).status).toBe(429);
    const owner = await s.from("203.0.113.10").login("ada", PASSWORD);
    expect(owner.status).toBe(200);
    expect(owner.body.user.username).toBe("ada");
  });

  test("the username and the email of one account are one key", async () => {
    const s = await withOwner();
    const attacker = s.from("198.51.100.66");
    for (let i = 0; i < 5; i++) expect((await attacker.login("ada", `guess ${i}`)).status).toBe(401);
    for (let i = 0; i < 5; i++) expect((await attacker.login("ADA@example.com", `guess ${i}`)).status).toBe(401);
    expect((await attacker.login("Ada", "one more")).status).toBe(429);
    expect((await attacker.login("ada@EXAMPLE.com", "one more")).status).toBe(429);
  });

  test("an attack from many addresses at once slows the account down instead of closing it", async () => {
    const s = await withOwner();
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => s.from(`192.0.2.${i + 1}`).login("ada", "guess")));
    // 50 tried within the window, then one per lane per 5 s.
    expect(statuses(answers)).toEqual({ 401: 51, 429: 9 });
    const busy = await s.from("203.0.113.10").login("ada", PASSWORD);
    expect([busy.status, busy.headers.get("retry-after")]).toEqual([429, "5"]);
    s.clock.advance(5_000);
    expect((await s.from("203.0.113.10").login("ada", PASSWORD)).status).toBe(200);
  });
});
