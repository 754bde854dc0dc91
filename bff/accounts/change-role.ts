import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { DomainError } from "../errors.js";
import { parseInput } from "../validation.js";
import { applyRole, checkDemotion } from "./changes.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { authorOf, scheduleFor } from "./schedule.js";
import * as schemas from "./schemas.js";
import { manageable } from "./target.js";

/** ACC-12 帳號權限異動: agency admins grant or remove 機關管理者; only a system admin grants 系統管理者. */
export async function changeRole(deps: AccountDeps, actor: Actor, ref: AccountRef, raw: schemas.ChangeRoleInput) {
  requireAdmin(actor);
  const { role, executeAt } = parseInput(schemas.changeRole(deps.clock.now()), raw);
  const { db, clock, directory } = deps;
  const account = await manageable(deps, actor, ref, "權限");
  const refuse = (message: string, field: string) => {
    throw new DomainError("invalid", message, { role: field });
  };
  if (role === "sys_admin" && actor.role !== "sys_admin")
    refuse("只有系統管理者可以指派系統管理者。", "只有系統管理者可以指派系統管理者");
  if (role === account.role) refuse("權限與目前相同，沒有需要異動的資料。", "與目前相同");
  if (account.status !== "enabled" && role !== "user") refuse("帳號須為啟用狀態，才能指派為管理者。", "帳號未啟用");
  const now = clock.now();
  await inTransaction(db, async (trx) => {
    if (executeAt) {
      // Refuse now what would be refused at its time anyway (the last agency admin); checked again then.
      await checkDemotion(trx, account.id, role);
      const payload = { role };
      await scheduleFor(trx, actor, account, {
        type: "account.role",
        action: "account.role",
        executeAt,
        now,
        payload,
        detail: payload,
      });
    } else await applyRole(trx, directory, { accountId: account.id, role, at: now, author: authorOf(actor) });
  });
  return { scheduledAt: executeAt };
}
