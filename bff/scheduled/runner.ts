import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import { isDomainError } from "../errors.js";
import type { JobHandlers } from "../jobs/worker.js";
import type { Job } from "../../db/schema.js";
import { SCHEDULED_CHANGE_JOB } from "./changes.js";
import type { ScheduledChange, ScheduledExecutors } from "./types.js";

export type RunOutcome =
  { state: "done"; result: string } | { state: "failed"; result: string } | { state: "skipped"; reason: string };

/** What a change that broke unexpectedly on its last attempt shows on 預約管理作業. */
export const UNEXPECTED_FAILURE = "執行時發生系統錯誤，請洽系統管理者。";

const bounded = (s: string) => s.replace(/\u0000/g, "").slice(0, 500);

/**
 * ACC-16: carries out one scheduled change inside the job's transaction. The change's row
 * is locked first, so a cancel (a conditional update) either happens before and is seen
 * here, or waits and then finds the change no longer pending. Only a pending change runs.
 *
 * A DomainError from the executor is a refusal by a re-checked guard: the change is
 * recorded as failed with that message and the job is done (retrying would refuse again).
 * Any other error is unexpected: it is rethrown so the job system retries it, except on
 * the job's last attempt, where the change is recorded as failed so it never hangs pending.
 */
export async function runScheduledChange(
  trx: Tx,
  executors: ScheduledExecutors,
  id: number,
  now: Date,
  job?: Pick<Job, "attempts" | "max_attempts">,
): Promise<RunOutcome> {
  const row = await trx.selectFrom("scheduled_changes").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
  if (!row) return { state: "skipped", reason: "missing" };
  if (row.state !== "pending") return { state: "skipped", reason: row.state };

  const change: ScheduledChange = {
    id: row.id,
    type: row.type,
    targetAccountId: row.target_account_id,
    agencyId: row.agency_id,
    executeAt: row.execute_at,
    payload: (typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) as Record<string, unknown>,
    createdBy: row.created_by,
  };
  const lastAttempt = job !== undefined && job.max_attempts !== null && job.attempts + 1 >= job.max_attempts;

  // The executor's partial work must not survive its failure; the state row must.
  await sql`SAVEPOINT scheduled_change`.execute(trx);
  let outcome: RunOutcome;
  try {
    const executor = executors[row.type];
    if (!executor) throw new Error(`no executor registered for scheduled change type "${row.type}"`);
    const result = await executor(trx, change, now);
    await sql`RELEASE SAVEPOINT scheduled_change`.execute(trx);
    outcome = { state: "done", result: bounded(result) };
  } catch (e) {
    await sql`ROLLBACK TO SAVEPOINT scheduled_change`.execute(trx);
    if (isDomainError(e)) outcome = { state: "failed", result: bounded(e.message) };
    else if (lastAttempt) outcome = { state: "failed", result: UNEXPECTED_FAILURE };
    else throw e;
  }
  await trx
    .updateTable("scheduled_changes")
    .set({ state: outcome.state, result: outcome.result, finished_at: now })
    .where("id", "=", row.id)
    .execute();
  return outcome;
}

/** The job handler for SCHEDULED_CHANGE_JOB, over every feature's executors. */
export function scheduledJobHandlers(executors: ScheduledExecutors): JobHandlers {
  return {
    [SCHEDULED_CHANGE_JOB]: {
      run: ({ db, job, payload, now }) =>
        runScheduledChange(
          db,
          executors,
          Number((payload as { scheduledChangeId?: unknown }).scheduledChangeId),
          now,
          job,
        ),
    },
  };
}
