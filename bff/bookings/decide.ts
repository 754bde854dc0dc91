import type { Tx } from "../../db/index.js";
import type { BookingStatus } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { DomainError } from "../errors.js";
import { formatTaipeiRange } from "../time.js";
import type { IdParam } from "../validation.js";
import { type BookingDeps, statusLabel } from "./deps.js";
import { heldBooking } from "./lookups.js";
import { notifyAccounts } from "./notify.js";
import {
  batchInput,
  type CommentInput,
  commentInput,
  type Decision,
  type DecisionInput,
  decisionInput,
  decisionSummary,
  parseBooking,
  REJECT_NEEDS_COMMENT,
} from "./schemas.js";

/** BKG-3 and BKG-5: a custodian's decision on a booking of an item they hold, and its 審核說明. */
export function createDecisions(deps: BookingDeps) {
  const { db, clock } = deps;

  /**
   * BKG-3: one custodian's decision. The update only applies while the booking is still
   * pending, so when the other custodian got there first the second decision is refused.
   * `inTrx`: the caller's transaction (e.g. with a claimed decision token); else its own.
   */
  async function decide(actor: Actor, bookingId: IdParam, raw: DecisionInput, inTrx?: Tx) {
    const input = parseBooking(decisionInput, raw, decisionSummary);
    return apply(actor, bookingId, input, inTrx);
  }

  async function apply(actor: Actor, bookingId: IdParam, input: Decision, inTrx?: Tx) {
    const { decision, comment } = input;
    const booking = await heldBooking(inTrx ?? db, actor, bookingId);
    const now = clock.now();
    if (decision === "approved" && booking.status === "pending" && booking.starts_at <= now) {
      throw new DomainError("conflict", "借用時段已開始，無法核准；請駁回或請申請人重新申請。");
    }
    const run = <T>(fn: (trx: Tx) => Promise<T>) => (inTrx ? fn(inTrx) : inTransaction(db, fn));
    return run(async (trx) => {
      const updated = await trx
        .updateTable("bookings")
        .set({
          status: decision,
          decided_by: actor.accountId,
          decided_at: now,
          decision_comment: comment,
          updated_at: now,
        })
        .where("id", "=", booking.id)
        .where("status", "=", "pending")
        .returning("id")
        .executeTakeFirst();
      if (!updated) {
        const current = await trx
          .selectFrom("bookings")
          .select("status")
          .where("id", "=", booking.id)
          .executeTakeFirstOrThrow();
        throw new DomainError("conflict", `此申請已是「${statusLabel[current.status]}」，不需再審核。`);
      }
      const range = formatTaipeiRange(booking.starts_at, booking.ends_at);
      await notifyAccounts(deps, trx, now, [booking.applicant_id], {
        push: {
          title: `借用申請${statusLabel[decision]}`,
          body: `${booking.itemName}，${range}${comment ? `（${comment}）` : ""}`,
          url: "/book/mine",
          tag: `booking-${booking.id}`,
        },
        pushOptions: { ttl: 7 * 86_400, urgency: "normal" },
        key: `booking-decision:${booking.id}`,
        mailKey: () => `booking-decision:${booking.id}`,
        subject: `【公務入口網】借用申請${statusLabel[decision]}：${booking.itemName}`,
        text: `您申請借用「${booking.itemName}」（${range}）${statusLabel[decision]}。${comment ? `\n審核說明：${comment}` : ""}`,
      });
      return { id: booking.id, status: decision };
    });
  }

  /** BKG-3 batch: one decision and comment for many; a result per booking. */
  async function decideBatch(actor: Actor, ids: IdParam[], raw: DecisionInput) {
    const { ids: unique } = parseBooking(batchInput, { ids }, decisionSummary);
    const input = parseBooking(decisionInput, raw, decisionSummary);
    const results: { id: number; ok: boolean; message: string }[] = [];
    for (const id of unique) {
      try {
        const r = await apply(actor, id, input);
        results.push({ id, ok: true, message: statusLabel[r.status as BookingStatus] });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        results.push({ id, ok: false, message: e.code === "not_found" ? "找不到資料，或您沒有權限審核。" : e.message });
      }
    }
    return results;
  }

  /**
   * BKG-5: the reviewer who decided edits the 審核說明 afterwards — e.g. the default text a
   * 駁回 from a notification recorded. The decision itself never changes.
   */
  async function editDecisionComment(actor: Actor, bookingId: IdParam, raw: CommentInput) {
    const { comment } = parseBooking(commentInput, raw, decisionSummary);
    const booking = await heldBooking(db, actor, bookingId);
    if (booking.status === "rejected" && comment === null)
      throw new DomainError("invalid", "駁回的審核說明不可空白。", { comment: REJECT_NEEDS_COMMENT });
    const row = await db
      .updateTable("bookings")
      .set({ decision_comment: comment, updated_at: clock.now() })
      .where("id", "=", booking.id)
      .where("status", "in", ["approved", "rejected"])
      .where("decided_by", "=", actor.accountId)
      .returning("id")
      .executeTakeFirst();
    if (!row) throw new DomainError("conflict", "只有審核這筆申請的保管人可以修改審核說明。");
  }

  return { decide, decideBatch, editDecisionComment };
}
