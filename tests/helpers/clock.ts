import { type Clock } from "../../bff/ports/clock.js";
import { startOfTaipeiDay, taipeiDate } from "../../bff/time.js";

const DAY_MS = 86_400_000;

/**
 * The app server's clock for tests that show or book times of day (free slots, 今天, tomorrow):
 * it starts at `time` (Taipei) on the day `daysAhead` after today's Taipei date and then runs
 * with real time, so a run at 00:03 or at 23:59 sees the same hours and the same free slots.
 * It is always ahead of the real time (34–58 h with the defaults), never behind, so the session
 * cookie's Expires, which the server sets from this clock, stays in the browser's future.
 * Tests read "today" from it (`today`, `day(n)`), never from Date.now().
 */
export function taipeiDayClock(time = "10:00", daysAhead = 2): Clock & { today: string; day(n: number): string } {
  const [h, m] = time.split(":").map(Number);
  const realStart = Date.now();
  const today = taipeiDate(
    new Date(startOfTaipeiDay(taipeiDate(new Date(realStart))).getTime() + daysAhead * DAY_MS + 12 * 3600_000),
  );
  const start = startOfTaipeiDay(today).getTime() + ((h ?? 0) * 60 + (m ?? 0)) * 60_000;
  return {
    now: () => new Date(start + (Date.now() - realStart)),
    today,
    day: (n) => taipeiDate(new Date(startOfTaipeiDay(today).getTime() + n * DAY_MS + 12 * 3600_000)),
  };
}

/**
 * An outage on a hand-moved clock (issue 15 item 3): `down()` is true from `from` for `ms`.
 * A fake service throws while it is down; tests move the clock instead of waiting.
 */
export function outage(clock: Clock, from: Date, ms: number) {
  const start = from.getTime();
  const end = start + ms;
  return {
    end: new Date(end),
    down: () => {
      const t = clock.now().getTime();
      return t >= start && t < end;
    },
  };
}

/**
 * Moves a hand-moved clock from one due job to the next and runs what is due, as a worker
 * would over that time, until nothing is pending or `until` is reached. Bounded by
 * `maxSteps` so a job that never settles fails the test instead of hanging it.
 * Returns how many times the clock moved.
 */
export async function runThroughTime(opts: {
  clock: Clock & { set(d: Date): void };
  nextDue: () => Promise<Date | null>;
  runDue: () => Promise<unknown>;
  until: Date;
  maxSteps?: number;
}): Promise<number> {
  const max = opts.maxSteps ?? 1000;
  for (let step = 0; step < max; step++) {
    await opts.runDue();
    const next = await opts.nextDue();
    if (!next || next.getTime() > opts.until.getTime()) return step;
    if (next.getTime() > opts.clock.now().getTime()) opts.clock.set(next);
  }
  throw new Error(`runThroughTime: still running after ${max} steps`);
}
