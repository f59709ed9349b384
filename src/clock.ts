/** The only source of time in the server: services take one, tests pass a FakeClock. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
