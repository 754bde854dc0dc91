import { describe, expect, it } from "vitest";
import {
  defaultBackoffMs,
  jitterFraction,
  MAX_BACKOFF_MS,
  outOfTries,
  RETRY_WINDOW_MS,
  retryDelayMs,
} from "./retry.js";

describe("retry policy (issue 15 item 3, ADR 0028)", () => {
  it("backs off 10 s doubling, capped at 15 minutes, jittered to between half and all of it", () => {
    expect([1, 2, 3, 7, 8, 50, 500].map(defaultBackoffMs)).toEqual([
      10_000,
      20_000,
      40_000,
      640_000,
      MAX_BACKOFF_MS,
      MAX_BACKOFF_MS,
      MAX_BACKOFF_MS,
    ]);
    for (let id = 1; id < 2000; id += 7) {
      for (const attempt of [1, 5, 9, 40]) {
        const d = retryDelayMs(id, attempt, defaultBackoffMs);
        const full = defaultBackoffMs(attempt);
        expect(d).toBeGreaterThanOrEqual(full / 2);
        expect(d).toBeLessThanOrEqual(full);
      }
    }
    // A handler's own backoff (uncapped, or huge) is capped too.
    expect(retryDelayMs(1, 30, (n) => 5_000 * 2 ** n)).toBeLessThanOrEqual(MAX_BACKOFF_MS);
  });

  it("spreads jobs that failed together: 1,000 jobs at the cap come back over minutes, not in one second", () => {
    const waits = Array.from({ length: 1000 }, (_, i) => retryDelayMs(i + 1, 10, defaultBackoffMs));
    expect(new Set(waits.map((w) => Math.floor(w / 1000))).size).toBeGreaterThan(300);
    expect(Math.max(...waits) - Math.min(...waits)).toBeGreaterThan(6 * 60_000);
    expect(jitterFraction(1, 1)).not.toBe(jitterFraction(1, 2));
  });

  it("inside the 24 h window a failure never ends a job; after it, max_attempts decides", () => {
    const created = new Date("2026-11-30T00:00:00Z");
    const job = { created_at: created, retry_from: null, max_attempts: 5 };
    const at = (ms: number) => new Date(created.getTime() + ms);
    expect(outOfTries(job, 200, at(RETRY_WINDOW_MS - 1), RETRY_WINDOW_MS)).toBe(false);
    expect(outOfTries(job, 5, at(RETRY_WINDOW_MS), RETRY_WINDOW_MS)).toBe(true);
    expect(outOfTries(job, 4, at(RETRY_WINDOW_MS * 2), RETRY_WINDOW_MS)).toBe(false);
    // No window (database-only jobs): max_attempts alone, as before.
    expect(outOfTries(job, 5, at(1), 0)).toBe(true);
    // Retried by an admin: the window starts again.
    const revived = { ...job, retry_from: at(RETRY_WINDOW_MS * 3) };
    expect(outOfTries(revived, 99, at(RETRY_WINDOW_MS * 3 + 3600_000), RETRY_WINDOW_MS)).toBe(false);
    // max_attempts NULL: never.
    expect(outOfTries({ ...job, max_attempts: null }, 10_000, at(RETRY_WINDOW_MS * 10), RETRY_WINDOW_MS)).toBe(false);
  });

  it("a job failing every try inside the window is tried at least 96 times in 24 h, never more than 15 min apart", () => {
    let t = 0;
    let attempts = 0;
    while (t < RETRY_WINDOW_MS) {
      attempts++;
      const d = retryDelayMs(4242, attempts, defaultBackoffMs);
      expect(d).toBeLessThanOrEqual(MAX_BACKOFF_MS);
      t += d;
    }
    expect(attempts).toBeGreaterThanOrEqual(96);
  });
});
