import { describe, expect, test } from "bun:test";
import { cleanUpAfterEach, originalSetup } from "./support.ts";

cleanUpAfterEach();

const DAY = 86_400_000;

describe("the check-in page of the original web client", () => {
  test("a walk over a full week, a freeze over a missed day and a miss without one: the card it lets the user claim is always the day the check-in earns", async () => {
    // Days pass: as API.md advises for the original app, the operator lets access tokens last (COC_ACCESS_TTL).
    const s = await originalSetup({ env: { COC_ACCESS_TTL: "30d" } });
    const ada = await s.signUp("ada");
    const rewards = { "1": 5, "2": 10, "3": 15, "4": 20, "5": 25, "6": 30, "7": 35 };
    /** One day as the page lives it: load, claim card current_streak + 1, post, load again. */
    const day = async (expected: { card: number; streakDay: number; saved?: boolean }) => {
      const before = (await ada.call("GET", "/api/rewards/check-in/")).data;
      expect(before.checked_in_today).toBe(false);
      expect(before.today_checkin).toBeNull();
      expect(before.daily_rewards).toEqual(rewards);
      const card = before.current_streak + 1;
      expect(card).toBe(expected.card);
      const posted = await ada.call("POST", "/api/rewards/check-in/");
      expect(posted.status).toBe(201);
      // What the page reads after the POST.
      expect(posted.data).toMatchObject({ streak_day: expected.streakDay, xp_earned: rewards[String(card) as keyof typeof rewards], streak_saved: expected.saved ?? false });
      expect(posted.data.check_in.cycle_day).toBe(card);
      expect(typeof posted.data.message).toBe("string");
      expect(posted.data.total_xp).toBe(await s.ctx.services.xp.balance(ada.userId));
      const after = (await ada.call("GET", "/api/rewards/check-in/")).data;
      expect(after.checked_in_today).toBe(true);
      expect(after.today_checkin).toEqual(after.recent_checkins[0]);
      expect(after.today_checkin).toMatchObject({ check_in_date: posted.data.check_in.date, streak_day: expected.streakDay, cycle_day: card, xp_earned: posted.data.xp_earned });
      expect(after.freezes_left).toBe(posted.data.freezes_left);
      expect(after.recent_checkins.length).toBeLessThanOrEqual(7);
      return after;
    };

    for (let n = 1; n <= 7; n++) {
      const after = await day({ card: n, streakDay: n });
      // Tomorrow's card is the next one; after card 7 the cycle starts again at 1.
      expect(after.current_streak + 1).toBe(n === 7 ? 1 : n + 1);
      s.clock.advance(DAY);
    }
    const eighth = await day({ card: 1, streakDay: 8 });
    expect(eighth.recent_checkins.map((c: { streak_day: number }) => c.streak_day)).toEqual([8, 7, 6, 5, 4, 3, 2]);
    expect((await ada.call("POST", "/api/rewards/streak-freezes/")).status).toBe(201);

    // A missed day, bridged by the freeze: the page still offers the next card, and it is the day earned.
    s.clock.advance(2 * DAY);
    const saved = (await ada.call("GET", "/api/rewards/check-in/")).data;
    expect([saved.current_streak, saved.freezes_left]).toEqual([1, 1]);
    const ninth = await day({ card: 2, streakDay: 9, saved: true });
    expect(ninth.freezes_left).toBe(0);

    // Two missed days and no freeze left: the streak is over; the next card is the first.
    s.clock.advance(3 * DAY);
    expect((await ada.call("GET", "/api/rewards/check-in/")).data.current_streak).toBe(0);
    await day({ card: 1, streakDay: 1 });
  });

  test("a second check-in on one day is refused with a message the page shows", async () => {
    const s = await originalSetup();
    const ada = await s.signUp("ada");
    await ada.call("POST", "/api/rewards/check-in/");
    const again = await ada.call("POST", "/api/rewards/check-in/");
    expect([again.status, again.data.error]).toEqual([409, "Already checked in today"]);
  });
});
