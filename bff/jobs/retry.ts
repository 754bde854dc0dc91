/**
 * When a failed job runs again, and when it stops trying (issue 15 item 3, ADR 0028).
 *
 * - Backoff: 10 s doubling, capped at 15 minutes, then "equal jitter" (a wait between half
 *   and all of that), so ten thousand mails that failed together during an outage do not
 *   all come back in the same second. The jitter is derived from the job id and attempt
 *   rather than Math.random: each job still gets its own spread, and a test can say exactly
 *   what a job's next run is without injecting a random source.
 * - Window: a job that calls out (mail, SMS, push, AD) keeps retrying until 24 h after it was
 *   queued (or after an admin's 重試), whatever its max_attempts: an outage shorter than the
 *   window loses nothing. Outside the window, max_attempts decides as before. A database-only
 *   job has no window: its failure is a bug or bad data, not someone else's outage.
 */

/** The longest wait between two tries: after a service returns, every job is tried within it. */
export const MAX_BACKOFF_MS = 15 * 60_000;
/** How long a job that calls out keeps retrying, whatever its max_attempts. */
export const RETRY_WINDOW_MS = 24 * 3600_000;

/** The wait after the n-th failed attempt (1-based) before jitter: 10 s, 20 s, … 15 min. */
export function defaultBackoffMs(attempt: number): number {
  return Math.min(MAX_BACKOFF_MS, 10_000 * 2 ** Math.max(0, attempt - 1));
}

/** A fraction in [0, 1) fixed by job id and attempt (a 32-bit integer hash, good enough to spread). */
export function jitterFraction(jobId: number, attempt: number): number {
  let h = (jobId * 0x9e3779b1 + attempt * 0x85ebca77) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/**
 * The wait before the next try: the handler's (or the default) backoff, capped, then with
 * equal jitter, so it lies in [capped / 2, capped].
 */
export function retryDelayMs(jobId: number, attempt: number, backoffMs: (attempt: number) => number): number {
  const capped = Math.min(MAX_BACKOFF_MS, Math.max(0, backoffMs(attempt)));
  return Math.round(capped / 2 + (capped / 2) * jitterFraction(jobId, attempt));
}

/** When a job's retry window closes; `windowMs` 0 means it has none. */
export function retryDeadline(job: { created_at: Date; retry_from?: Date | null }, windowMs: number): Date {
  const from = job.retry_from ?? job.created_at;
  return new Date(from.getTime() + windowMs);
}

/**
 * Whether a failed attempt ends the job: never inside its retry window, else when its
 * attempts are used up (max_attempts NULL: never).
 */
export function outOfTries(
  job: { created_at: Date; retry_from?: Date | null; max_attempts: number | null },
  attempts: number,
  now: Date,
  windowMs: number,
): boolean {
  if (job.max_attempts === null || attempts < job.max_attempts) return false;
  return now.getTime() >= retryDeadline(job, windowMs).getTime();
}
