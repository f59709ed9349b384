import { describe, expect, test } from "bun:test";
import { cycleDayOf, daysBetween, decideCheckIn, type StreakState, startOfDayAfter } from "../../src/rewards/rules.ts";
import { localDate } from "../../src/time-zone.ts";

const TABLE = [5, 10, 15, 20, 25, 30, 35];
const fresh: StreakState = { current: 0, longest: 0, freezes: 0, lastDate: null, lastZone: null };

describe("dates", () => {
  test("daysBetween counts calendar days, across months and leap days", () => {
    expect(daysBetween("2026-02-28", "2026-03-01")).toBe(1);
    expect(daysBetween("2028-02-28", "2028-03-01")).toBe(2);
    expect(daysBetween("2026-12-31", "2027-01-01")).toBe(1);
    expect(daysBetween("2026-03-05", "2026-03-05")).toBe(0);
    expect(daysBetween("2026-03-05", "2026-03-04")).toBe(-1);
  });

  test("localDate follows the zone, DST included", () => {
    expect(localDate(new Date("2026-03-01T10:30:00Z"), "Pacific/Kiritimati")).toBe("2026-03-02");
    expect(localDate(new Date("2026-03-01T07:59:00Z"), "America/Los_Angeles")).toBe("2026-02-28");
    expect(localDate(new Date("2026-03-01T08:00:00Z"), "America/Los_Angeles")).toBe("2026-03-01");
    // After the spring-forward (2026-03-08), Los Angeles midnight is 07:00 UTC.
    expect(localDate(new Date("2026-03-09T06:59:00Z"), "America/Los_Angeles")).toBe("2026-03-08");
    expect(localDate(new Date("2026-03-09T07:00:00Z"), "America/Los_Angeles")).toBe("2026-03-09");
  });

  test("startOfDayAfter finds the next local midnight, exactly", () => {
    expect(startOfDayAfter("2026-03-07", "America/Los_Angeles", new Date("2026-03-07T20:00:00Z")).toISOString()).toBe("2026-03-08T08:00:00.000Z");
    expect(startOfDayAfter("2026-03-08", "America/Los_Angeles", new Date("2026-03-08T20:00:00Z")).toISOString()).toBe("2026-03-09T07:00:00.000Z");
    expect(startOfDayAfter("2026-03-02", "Pacific/Kiritimati", new Date("2026-03-01T12:00:00Z")).toISOString()).toBe("2026-03-02T10:00:00.000Z");
    const now = new Date("2026-03-05T00:00:00Z");
    expect(startOfDayAfter("2026-03-01", "UTC", now)).toBe(now);
  });

  test("cycle days run 1…7 and start over while the streak counts on", () => {
    expect([1, 2, 7, 8, 14, 15, 36].map((day) => cycleDayOf(day, 7))).toEqual([1, 2, 7, 1, 7, 1, 1]);
  });
});

describe("decideCheckIn", () => {
  const at = (iso: string) => new Date(iso);

  test("first check-in: streak 1, cycle day 1, 5 XP", () => {
    expect(decideCheckIn(fresh, at("2026-03-01T12:00:00Z"), "UTC", TABLE)).toEqual({
      allowed: true,
      date: "2026-03-01",
      streakDay: 1,
      cycleDay: 1,
      xp: 5,
      freezesUsed: 0,
      streakSaved: false,
      longest: 1,
    });
  });

  test("same local day: refused", () => {
    const state: StreakState = { current: 3, longest: 3, freezes: 0, lastDate: "2026-03-01", lastZone: "UTC" };
    expect(decideCheckIn(state, at("2026-03-01T23:59:59Z"), "UTC", TABLE)).toEqual({ allowed: false });
  });

  test("missed days: bridged when enough freezes are held, else a restart that keeps the freezes", () => {
    const base: StreakState = { current: 6, longest: 9, freezes: 2, lastDate: "2026-03-01", lastZone: "UTC" };
    expect(decideCheckIn(base, at("2026-03-04T08:00:00Z"), "UTC", TABLE)).toMatchObject({ streakDay: 7, cycleDay: 7, xp: 35, freezesUsed: 2, streakSaved: true, longest: 9 });
    expect(decideCheckIn(base, at("2026-03-05T08:00:00Z"), "UTC", TABLE)).toMatchObject({ streakDay: 1, xp: 5, freezesUsed: 0, streakSaved: false, longest: 9 });
    expect(decideCheckIn({ ...base, freezes: 0 }, at("2026-03-03T08:00:00Z"), "UTC", TABLE)).toMatchObject({ streakDay: 1, freezesUsed: 0 });
  });
});
