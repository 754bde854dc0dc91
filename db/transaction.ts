import { setTimeout as sleep } from "node:timers/promises";
import type { Database, Tx } from "./index.js";

/**
 * PostgreSQL asks the client to run a transaction again after a deadlock (40P01) or a
 * serialization failure (40001): nothing of it was committed. Two bookings of the same slot can
 * deadlock around the exclusion constraint's index; without a re-run the loser got a 500.
 */
const RETRYABLE = new Set(["40P01", "40001"]);

export const isRetryable = (e: unknown) =>
  typeof e === "object" && e !== null && RETRYABLE.has((e as { code?: string }).code ?? "");

/**
 * One transaction, re-run from the start when PostgreSQL asks, at most `attempts` times. The body
 * may hold only database work (enqueueing a job or pg_notify is fine): it can run more than once.
 */
export async function inTransaction<T>(db: Database, body: (trx: Tx) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(body);
    } catch (e) {
      if (attempt >= attempts || !isRetryable(e)) throw e;
      // A short random pause so the transactions that collided do not collide again in step.
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }
}
