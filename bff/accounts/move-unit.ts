import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { DomainError } from "../errors.js";
import { parseInput } from "../validation.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { authorOf, scheduleFor } from "./schedule.js";
import * as schemas from "./schemas.js";
import { lockAgenciesOf } from "./status.js";
import { manageable } from "./target.js";
import { activeUnit, applyUnit, checkLeaving } from "./unit-move.js";

/**
 * ACC-12 隸屬機關(單位): moves an account to another unit with its new title, now or at a
 * 預約生效 time. An agency admin moves within the agency (another agency is the person's
 * 機關異動 application, ACC-8); a system admin may move a person to another agency, which
 * passes the ACC-4 guards now and again when a scheduled move runs (unit-move.ts).
 */
export async function changeUnit(deps: AccountDeps, actor: Actor, ref: AccountRef, raw: schemas.ChangeUnitInput) {
  requireAdmin(actor);
  const input = parseInput(schemas.changeUnit(deps.clock.now()), raw);
  const { db, clock, directory } = deps;
  const account = await manageable(deps, actor, ref, "隸屬單位");
  const { unitId, title, executeAt } = input;
  const unit = await activeUnit(db, unitId);
  const leaves = unit !== undefined && unit.agencyId !== account.agencyId;
  if (!unit || (leaves && actor.role !== "sys_admin"))
    throw new DomainError("invalid", "請選擇本機關的調入單位（調至其他機關請走機關異動申請）。", {
      unitId: "請選擇本機關的調入單位（調至其他機關請走機關異動申請）",
    });
  if (unitId === account.unit_id && title === account.title)
    throw new DomainError("invalid", "調入單位與職稱都與目前相同，沒有需要異動的資料。", { unitId: "與目前單位相同" });
  const note = input.note ?? "";
  const now = clock.now();
  const toAgencyId = leaves ? unit.agencyId : null;
  await inTransaction(db, async (trx) => {
    if (executeAt) {
      // Refuse now what would be refused at its time anyway; checked again when it runs.
      if (leaves) {
        await lockAgenciesOf(trx, [account.id]);
        await checkLeaving(trx, account.id);
      }
      const detail = { unitId, title, ...(leaves ? { toAgencyId } : {}) };
      await scheduleFor(trx, actor, account, {
        type: "account.unit",
        action: "account.unit",
        executeAt,
        now,
        payload: { ...detail, note },
        detail,
      });
    } else
      await applyUnit(trx, directory, {
        accountId: account.id,
        unitId,
        title,
        note,
        at: now,
        author: authorOf(actor),
        toAgencyId,
      });
  });
  return { scheduledAt: executeAt };
}
