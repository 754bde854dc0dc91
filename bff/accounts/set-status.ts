import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { DomainError } from "../errors.js";
import { parseInput } from "../validation.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { disableBlocks } from "./guards.js";
import { authorOf, scheduleFor } from "./schedule.js";
import * as schemas from "./schemas.js";
import { applyStatus, auditAs, disableNow, throwBlocks } from "./status.js";
import { manageable } from "./target.js";

/**
 * ACC-4/12 帳號狀態: disabling needs a 註銷原因 and passes the ACC-4 guards (now, and again
 * when a scheduled one runs); it ends the account's sessions and single sign-on. An account
 * never activated (未啟用) is opened by its owner only.
 */
export async function setStatus(deps: AccountDeps, actor: Actor, ref: AccountRef, raw: schemas.SetStatusInput) {
  requireAdmin(actor);
  const { status, reason, executeAt } = parseInput(schemas.setStatus(deps.clock.now()), raw);
  const { db, clock, directory } = deps;
  const account = await manageable(deps, actor, ref, "帳號狀態");
  if (status === account.status)
    throw new DomainError("invalid", "帳號狀態與目前相同，沒有需要異動的資料。", { status: "與目前相同" });
  if (status === "enabled" && account.status === "inactive")
    throw new DomainError("invalid", "未啟用的帳號須由本人開通，無法直接啟用。", { status: "帳號尚未開通" });
  const now = clock.now();
  const author = authorOf(actor);
  await inTransaction(db, async (trx) => {
    if (executeAt) {
      if (status === "disabled") {
        const blocks = await disableBlocks(trx, [account.id]);
        if (blocks.length > 0) throwBlocks(blocks);
      }
      await scheduleFor(trx, actor, account, {
        type: `account.${status === "disabled" ? "disable" : "enable"}`,
        action: "account.status",
        executeAt,
        now,
        payload: reason ? { reason } : {},
        detail: { to: status, reason },
      });
    } else if (reason !== null) {
      // The schema gives a reason exactly when disabling.
      await disableNow(trx, directory, { accountIds: [account.id], reason, at: now, author });
    } else {
      await applyStatus(trx, directory, { accountId: account.id, status: "enabled", reason: null, at: now, author });
      await auditAs(trx, author, now, { action: "account.enable", targetId: account.id });
    }
  });
  return { scheduledAt: executeAt };
}
