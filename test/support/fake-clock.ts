import type { Clock } from "../../src/clock.ts";

/** A clock that moves only when a test moves it. */
export class FakeClock implements Clock {
  #ms: number;

  constructor(start: Date | string = "2026-01-15T09:00:00.000Z") {
    this.#ms = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.#ms);
  }

  set(at: Date | string): void {
    this.#ms = new Date(at).getTime();
  }

  advance(ms: number): void {
    this.#ms += ms;
  }
}
