import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import type { Job } from "../../db/schema.js";
import { DeferJob, GiveUpJob, type JobHandler, LeaseExpired, type Logger } from "./handler.js";
import { defaultBackoffMs, outOfTries, RETRY_WINDOW_MS, retryDelayMs } from "./retry.js";

// How an attempt ends on the job's row: done, retried later, deferred or dead.

/** The handler's retry window (see FailureHooks.retryWindowMs). */
const windowOf = (handler: JobHandler | undefined) =>
  handler?.retryWindowMs ?? (handler?.callsOut ? RETRY_WINDOW_MS : 0);

/** Error text kept on the job: bounded, and free of characters PostgreSQL refuses. */
export function errorText(err: unknown): string {
  const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return msg.replace(/\u0000/g, "").slice(0, 2000);
}

/** Cleared whenever a job leaves 'running'. */
const NO_LEASE = { locked_by: null, locked_until: null } as const;

/**
 * Records a failed, deferred or given-up attempt (`attempts` counts this one) and runs the
 * handler's onFailure in the same transaction.
 */
export async function recordFailure(
  trx: Tx,
  job: Job,
  handler: JobHandler | undefined,
  err: unknown,
  attempts: number,
  now: Date,
  logger: Logger,
): Promise<void> {
  const ctx = { db: trx, job, payload: job.payload, now };
  if (err instanceof DeferJob) {
    await trx
      .updateTable("jobs")
      .set({
        state: "pending",
        ...NO_LEASE,
        attempts: attempts - 1, // not the job's fault: not an attempt
        updated_at: now,
        run_at: new Date(now.getTime() + err.delayMs),
        last_error: errorText(err),
      })
      .where("id", "=", job.id)
      .execute();
    await handler?.onFailure?.(ctx, { error: err, outcome: "deferred" });
    return;
  }
  const dead =
    err instanceof GiveUpJob || outOfTries(job, attempts, now, err instanceof LeaseExpired ? 0 : windowOf(handler));
  const backoff = retryDelayMs(job.id, attempts, handler?.backoffMs ?? defaultBackoffMs);
  await trx
    .updateTable("jobs")
    .set({
      state: dead ? "dead" : "pending",
      ...NO_LEASE,
      attempts,
      updated_at: now,
      finished_at: dead ? now : null,
      run_at: dead ? job.run_at : new Date(now.getTime() + backoff),
      last_error: errorText(err),
    })
    .where("id", "=", job.id)
    .execute();
  await handler?.onFailure?.(ctx, { error: err, outcome: dead ? "dead" : "retry" });
  logger.error(dead ? "job dead" : "job failed, will retry", {
    id: job.id,
    kind: job.kind,
    attempts,
    error: errorText(err),
  });
}

/**
 * `finishedAt`: read from the clock when the job ended, not when it was claimed (issue 15
 * item 2). `startedAt`: the claim, for a job that ends in its claim transaction (a calling
 * job's lease recorded it already).
 */
export async function recordDone(
  trx: Tx,
  jobId: number,
  attempts: number,
  result: unknown,
  finishedAt: Date,
  startedAt?: Date,
): Promise<void> {
  await trx
    .updateTable("jobs")
    .set({
      state: "done",
      ...NO_LEASE,
      ...(startedAt ? { started_at: startedAt } : {}),
      attempts,
      updated_at: finishedAt,
      finished_at: finishedAt,
      last_error: null,
      result: result === undefined ? null : JSON.stringify(result),
    })
    .where("id", "=", jobId)
    .execute();
}

/** Runs `body` behind a savepoint: its writes roll back when it throws, the transaction lives on. */
export async function guarded<T>(
  trx: Tx,
  body: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  await sql`SAVEPOINT job_run`.execute(trx);
  try {
    const value = await body();
    await sql`RELEASE SAVEPOINT job_run`.execute(trx);
    return { ok: true, value };
  } catch (error) {
    await sql`ROLLBACK TO SAVEPOINT job_run`.execute(trx);
    return { ok: false, error };
  }
}
