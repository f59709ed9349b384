import { treaty } from "@elysiajs/eden";
import { afterEach, describe, expect, test } from "bun:test";
import { type App, createApp } from "../../src/app.ts";
import { startTestServer } from "../support/http.ts";
import { createTestContext } from "../support/test-context.ts";

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const server of running.splice(0)) await server.stop();
});

describe("a typed client from the app's own type (Eden treaty)", () => {
  test("registers, reads the profile and checks in against a real server, with the answers typed", async () => {
    const { ctx } = await createTestContext();
    const server = await startTestServer(ctx, createApp(ctx));
    running.push(server);
    const api = treaty<App>(server.base);

    const registered = await api.api.auth.register.post({ username: "ada", email: "ada@example.com", password: "correct horse battery" });
    expect(registered.status).toBe(201);
    // Typed: `data` is the Session schema's type (tsc checks these member accesses).
    const token: string = registered.data!.access_token;
    const headers = { authorization: `Bearer ${token}` };

    const profile = await api.api.profiles.user.get({ headers });
    expect(profile.status).toBe(200);
    const streak: number = profile.data!.streak.current;
    expect([profile.data!.username, streak, profile.data!.email]).toEqual(["ada", 0, "ada@example.com"]);

    const checkIn = await api.api.rewards["check-in"].post(undefined, { headers });
    expect(checkIn.status).toBe(201);
    const earned: number = checkIn.data!.xp_earned;
    expect([earned, checkIn.data!.streak.current]).toEqual([5, 1]);

    const again = await api.api.rewards["check-in"].post(undefined, { headers });
    expect(again.status).toBe(409);
    expect((again.error!.value as { code: string }).code).toBe("already_checked_in");

    // @ts-expect-error a body the route does not take is a type error, not only a 400.
    const wrong = await api.api.auth.register.post({ username: "grace", email: "grace@example.com" });
    expect(wrong.status).toBe(400);
  });
});
