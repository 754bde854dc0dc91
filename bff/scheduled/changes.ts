import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import { DomainError } from "../errors.js";
import { enqueue } from "../jobs/queue.js";
import { taipeiParts } from "../time.js";
import { scheduledTypeText } from "./labels.js";
import type { ScheduledChangeInput } from "./types.js";

/** The job kind that carries out one scheduled change (bff/scheduled owns its handler). */
export const SCHEDULED_CHANGE_JOB = "scheduled.run";

/**
 * Records a 預約生效 change and the job that will carry it out, in the caller's
 * transaction. A time that is not in the future is refused: "scheduled" never means "now".
 *
 * Issue 14 item 6 (ADR 0026): the same change is never queued twice. "The same" means the
 * same target account, the same type and the same Taipei day, while pending — a double
 * submit, a second admin repeating the first, or two contradictory changes of one kind for
 * one day. The partial unique index `scheduled_changes_pending_once` (migration 0084) holds
 * it across concurrent requests and app servers: the insert does nothing on a conflict
 * (waiting for a concurrent twin to commit), and the refusal names the change already queued.
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
    .onConflict((oc) => oc.doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!row) throw await duplicateRefusal(trx, input);
  await enqueue(trx, {
    kind: SCHEDULED_CHANGE_JOB,
    payload: { scheduledChangeId: row.id },
    runAt: input.executeAt,
    idempotencyKey: `scheduled-change:${row.id}`,
    createdBy: input.createdBy,
  });
  return row.id;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** 「帳號 x 已有相同的排程異動（編號 N：帳號停用，預定 YYYY/MM/DD HH:mm 生效）…」 */
async function duplicateRefusal(trx: Tx, input: ScheduledChangeInput): Promise<DomainError> {
  // The same day as the index computes it: Taipei is UTC+8 all year.
  const twin = await trx
    .selectFrom("scheduled_changes as sc")
    .innerJoin("accounts as a", "a.id", "sc.target_account_id")
    .select(["sc.id", "sc.execute_at", "a.username"])
    .where("sc.state", "=", "pending")
    .where("sc.target_account_id", "=", input.targetAccountId)
    .where("sc.type", "=", input.type)
    .where(
      sql<boolean>`(sc.execute_at AT TIME ZONE 'UTC' + interval '8 hours')::date
        = (${input.executeAt}::timestamptz AT TIME ZONE 'UTC' + interval '8 hours')::date`,
    )
    .executeTakeFirst();
  const what = scheduledTypeText(input.type);
  if (!twin) {
    // Cancelled or run between our insert and this read: the user may simply try again.
    return new DomainError("conflict", `同一天已有相同的${what}排程，請重新整理後再試。`, {
      executeAt: "同一天已有相同的排程",
    });
  }
  const p = taipeiParts(twin.execute_at);
  const at = `${p.year}/${pad(p.month)}/${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
  return new DomainError(
    "conflict",
    `帳號 ${twin.username} 已有相同的排程異動（編號 ${twin.id}：${what}，預定 ${at} 生效），請先至預約管理作業取消該筆再重新排程。`,
    { executeAt: `已有相同的排程（編號 ${twin.id}）` },
  );
}
