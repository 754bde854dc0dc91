import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { parseInput } from "../validation.js";
import type { RepairsDeps } from "./deps.js";
import type { RepairNotices } from "./notify.js";
import { handleTicket, type HandleInput, returnTicket as returnSchema, type ReturnInput } from "./schemas.js";
import { lockedTicket, notPending } from "./tickets.js";

/**
 * RPR-3 for vendor staff: 完成處理 and 退回. The ticket is found (and locked) first, so
 * someone who does not handle its type gets 404 before any message about the form; the
 * handling form is then checked against the type's own 處理分類.
 */
export function createHandling(deps: RepairsDeps, notices: RepairNotices) {
  const { db, clock } = deps;

  /** RPR-3: vendor staff record handler, time, result and category; the ticket becomes 已處理. */
  async function handle(actor: Actor, ticketId: unknown, raw: HandleInput): Promise<void> {
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const t = await lockedTicket(trx, actor, ticketId, "vendor");
      const v = parseInput(handleTicket(now, t.categories), raw);
      if (t.status !== "pending") throw notPending();
      await trx
        .updateTable("repair_tickets")
        .set({
          status: "processed",
          handler_name: v.handlerName,
          handled_at: v.handledAt,
          result: v.result,
          category: v.category,
          handled_by: actor.accountId,
          updated_at: now,
        })
        .where("id", "=", t.id)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "repair.handle",
        targetType: "repair_ticket",
        targetId: t.id,
        detail: { category: v.category },
      });
      await notices.notifyOutcome(trx, t, "processed", `處理人員：${v.handlerName}\n處理結果：${v.result}`, now);
    });
  }

  /** RPR-3 退回: back to the reporter with a reason; the return counter grows. */
  async function returnTicket(actor: Actor, ticketId: unknown, raw: ReturnInput): Promise<void> {
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const t = await lockedTicket(trx, actor, ticketId, "vendor");
      const { reason } = parseInput(returnSchema, raw);
      if (t.status !== "pending") throw notPending();
      await trx
        .updateTable("repair_tickets")
        .set((eb) => ({
          status: "returned",
          return_count: eb("return_count", "+", 1),
          return_reason: reason,
          updated_at: now,
        }))
        .where("id", "=", t.id)
        .execute();
      await writeAudit(trx, actor, now, {
        action: "repair.return",
        targetType: "repair_ticket",
        targetId: t.id,
        detail: { reason, returns: t.return_count + 1 },
      });
      await notices.notifyOutcome(trx, t, "returned", `退回原因：${reason}`, now);
    });
  }

  return { handle, returnTicket };
}
