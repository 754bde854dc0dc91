import type { Database, Tx } from "../../db/index.js";
import type { Role } from "../../db/schema.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError } from "../errors.js";
import type { ScheduledExecutors } from "../scheduled/types.js";
import { leaveBlocks } from "./guards.js";
import { roleText } from "./labels.js";
import { type ChangeAuthor, applyStatus, auditAs, disableNow, lockAgenciesOf } from "./status.js";
import { writeRole } from "./role-write.js";
import { applyUnit } from "./unit-move.js";

/**
 * The only-admin rule for a role change (ACC-4 `leaveBlocks`, "demote"): demoting the last
 * enabled agency admin is refused, saying to appoint another first.
 */
export async function checkDemotion(db: Database, accountId: number, to: Role) {
  const target = await db
    .selectFrom("accounts")
    .select(["role", "status", "name", "username"])
    .where("id", "=", accountId)
    .executeTakeFirstOrThrow();
  if (target.role !== "agency_admin" || to === "agency_admin") return target;
  const blocks = await leaveBlocks(db, [accountId], "demote");
  if (blocks.length > 0)
    throw new DomainError("conflict", `無法變更權限：${blocks.map((x) => x.message).join(" ")}`, {
      role: "須先指派其他機關管理者",
      [`fix:${blocks[0]!.fixUrl}`]: `${target.name}（${target.username}）`,
    });
  return target;
}

/** ACC-12 帳號權限異動 in the caller's transaction, with the only-admin rule checked under the agency lock. */
export async function applyRole(
  trx: Tx,
  directory: DirectoryQueue,
  input: { accountId: number; role: Role; at: Date; author: ChangeAuthor },
) {
  await lockAgenciesOf(trx, [input.accountId]);
  const target = await checkDemotion(trx, input.accountId, input.role);
  if (target.role === input.role) return;
  await writeRole(trx, {
    accountId: input.accountId,
    from: target.role,
    to: input.role,
    at: input.at,
    author: input.author,
  });
  await directory.accountChanged(trx, { accountId: input.accountId, at: input.at, by: input.author.actorId });
}

const isRole = (v: unknown): v is Role => v === "user" || v === "agency_admin" || v === "sys_admin";

/** The account's status now, or not_found when it was deleted since the change was scheduled. */
async function statusOf(trx: Tx, accountId: number) {
  const row = await trx.selectFrom("accounts").select("status").where("id", "=", accountId).executeTakeFirst();
  if (!row) throw new DomainError("not_found", "帳號已不存在。");
  return row;
}

/**
 * ACC-9/16: what a 預約生效 account change does when its time comes. Each one re-reads the
 * account and re-checks its guards (ACC-4) then; a refusal throws a DomainError whose
 * message becomes the scheduled change's failed result. The runner (bff/scheduled)
 * calls these inside its own transaction.
 */
export function createAccountScheduledExecutors(deps: { directory: DirectoryQueue }): ScheduledExecutors {
  const { directory } = deps;
  const author = (change: { id: number; createdBy: number }): ChangeAuthor => ({
    actorId: change.createdBy,
    scheduledChangeId: change.id,
  });
  return {
    async "account.disable"(trx, change, now) {
      const row = await statusOf(trx, change.targetAccountId);
      if (row.status === "disabled") return "帳號已是停用狀態，未再異動。";
      const reason = typeof change.payload.reason === "string" ? change.payload.reason : "其他：預約停用";
      await disableNow(trx, directory, {
        accountIds: [change.targetAccountId],
        reason,
        at: now,
        author: author(change),
      });
      return `已停用（${reason}）`;
    },
    async "account.enable"(trx, change, now) {
      const row = await statusOf(trx, change.targetAccountId);
      if (row.status === "enabled") return "帳號已是啟用狀態，未再異動。";
      await applyStatus(trx, directory, {
        accountId: change.targetAccountId,
        status: "enabled",
        reason: null,
        at: now,
        author: author(change),
      });
      await auditAs(trx, author(change), now, { action: "account.enable", targetId: change.targetAccountId });
      return "已啟用";
    },
    async "account.unit"(trx, change, now) {
      const unitId = Number(change.payload.unitId);
      const title = typeof change.payload.title === "string" ? change.payload.title : "";
      const note = typeof change.payload.note === "string" ? change.payload.note : "";
      // Set when a system admin scheduled a move to another agency: the guards run again now.
      const toAgencyId = typeof change.payload.toAgencyId === "number" ? change.payload.toAgencyId : null;
      if (!Number.isSafeInteger(unitId)) throw new DomainError("invalid", "預約內容有誤：缺少調入單位。");
      await applyUnit(trx, directory, {
        accountId: change.targetAccountId,
        unitId,
        title,
        note,
        at: now,
        author: author(change),
        toAgencyId,
      });
      return toAgencyId ? "已完成機關異動" : "已完成單位異動";
    },
    async "account.role"(trx, change, now) {
      const role = change.payload.role;
      if (!isRole(role)) throw new DomainError("invalid", "預約內容有誤：權限不明。");
      await applyRole(trx, directory, { accountId: change.targetAccountId, role, at: now, author: author(change) });
      return `權限已改為${roleText[role]}`;
    },
  };
}
