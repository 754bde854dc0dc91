import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import { readParam } from "../params/store.js";

/** Rows purged per housekeeping run: bounds the transaction; the next hour takes the rest. */
export const PURGE_BATCH = 20_000;

/**
 * Issue 15 item 3: a finished job's payload (a mail's recipient and text, a phone number, a
 * push message) has no use once the retention period (系統參數 job_payload_retention_days,
 * default 30 days) has passed since it finished. The row stays (kind, times, attempts and
 * its idempotency key, so a late duplicate enqueue is still refused); its payload becomes
 * `{}` and its error text goes. Dead jobs are kept whole: they wait for an admin on 背景作業.
 * Runs in the hourly housekeeping job's transaction; reads the parameter now, not from a cache.
 */
export async function purgeFinishedPayloads(trx: Tx, now: Date): Promise<number> {
  const days = await readParam(trx, "job_payload_retention_days");
  const before = new Date(now.getTime() - days * 86_400_000);
  // The sub-select walks the partial index jobs_payload_to_purge (0090) oldest first.
  const res = await sql`
    UPDATE jobs SET payload = '{}'::jsonb, last_error = NULL
    WHERE id IN (
      SELECT id FROM jobs
      WHERE state IN ('done', 'cancelled') AND payload <> '{}'::jsonb AND finished_at < ${before}
      ORDER BY finished_at
      LIMIT ${PURGE_BATCH}
    )`.execute(trx);
  const purged = Number(res.numAffectedRows ?? 0);
  await purgeFinishedDeliveries(trx, before);
  return purged;
}

/**
 * The devices a push job reached (push_deliveries, 0089) only keep a re-run of that job from
 * sending twice; a finished job never runs again, so past the same retention they go too
 * (otherwise the table grows by one row per push sent, forever).
 */
async function purgeFinishedDeliveries(trx: Tx, before: Date): Promise<void> {
  await sql`
    DELETE FROM push_deliveries d
    USING jobs j
    WHERE j.id = d.job_id AND j.state IN ('done', 'cancelled') AND j.finished_at < ${before}`.execute(trx);
}
