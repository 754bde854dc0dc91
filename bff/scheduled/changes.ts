import type { Tx } from "../../db/index.js";
import { DomainError } from "../errors.js";
import { enqueue } from "../jobs/queue.js";
import type { ScheduledChangeInput } from "./types.js";

/** The job kind that carries out one scheduled change (bff/scheduled owns its handler). */
export const SCHEDULED_CHANGE_JOB = "scheduled.run";

/**
 * Records a 預約生效 change and the job that will carry it out, in the caller's
 * transaction. A time that is not in the future is refused: "scheduled" never means "now".
 */
export async function scheduleChange(trx: Tx, input: ScheduledChangeInput): Promise<number> {
  if (!(input.executeAt.getTime() > input.now.getTime())) {
    throw new DomainError("invalid", "預約生效時間必須晚於現在。", { executeAt: "請選擇未來的時間" });
  }
  const row = await trx
    .insertInto("scheduled_changes")
    .values({
      type: input.type,
      target_account_id: input.targetAccountId,
      agency_id: input.agencyId,
      execute_at: input.executeAt,
      payload: JSON.stringify(input.payload),
      created_by: input.createdBy,
      created_at: input.now,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  await enqueue(trx, {
    kind: SCHEDULED_CHANGE_JOB,
    payload: { scheduledChangeId: row.id },
    runAt: input.executeAt,
    idempotencyKey: `scheduled-change:${row.id}`,
    createdBy: input.createdBy,
  });
  return row.id;
}
