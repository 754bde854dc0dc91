import type { Database } from "../../db/index.js";
import { type Actor, requireAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError, notFound } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { scheduleChange } from "../scheduled/changes.js";
import { parseDisableReason, parseEffective } from "./effective.js";
import { disableBlocks } from "./guards.js";
import { scopeAccounts } from "./scope.js";
import { disableNow, lockAgenciesOf, throwBlocks } from "./status.js";
import { parseId } from "../validation.js";
import { inTransaction } from "../../db/transaction.js";

export const BATCH_MAX = 500;

/** ACC-11: each refusal names the rule the selection breaks (exact texts, tested). */
export const batchRules = {
  none: "請先勾選要停用的帳號。",
  tooMany: `一次最多可批次停用 ${BATCH_MAX} 個帳號。`,
  agency: "無法同時停用不同機關的帳號：勾選的帳號須隸屬同一機關。",
  role: "無法批次停用：勾選的帳號須權限相同。",
  status: "無法批次停用：勾選的帳號須帳號狀態相同。",
  mail: "無法批次停用：勾選的帳號須公務郵件使用狀態相同（都有使用或都沒有使用）。",
  pending: "無法批次停用：勾選的帳號不可有審核狀態為未審核的申請，請先完成審核",
  disabled: "無法批次停用：勾選的帳號已是停用狀態。",
  self: "無法批次停用：不可停用自己的帳號，請取消勾選自己。",
} as const;

/**
 * ACC-11: the selected accounts with an application waiting for review (審核狀態 未審核:
 * reactivation, agency change or role change still pending).
 */
async function withPendingApplication(db: Database, accountIds: number[]): Promise<{ username: string }[]> {
  return db
    .selectFrom("account_applications as ap")
    .innerJoin("accounts as a", "a.id", "ap.account_id")
    .select("a.username")
    .distinct()
    .where("ap.account_id", "in", accountIds)
    .where("ap.status", "=", "pending")
    .orderBy("a.username")
    .execute();
}

/** Parses the checkbox ids: anything that is not an id of an account in scope is not found. */
function parseIds(raw: unknown): number[] {
  const list = Array.isArray(raw) ? raw : raw === undefined || raw === null || raw === "" ? [] : [raw];
  const ids = list.map(parseId);
  if (ids.some((id) => id === null)) throw notFound();
  return [...new Set(ids as number[])];
}

export interface BatchInput {
  ids: unknown;
  reason?: unknown;
  reasonText?: unknown;
  effective?: unknown;
  executeAt?: unknown;
}

/**
 * ACC-11 批次停用: the selection must share agency, role, status and mail use, none may
 * have a pending application, and the ACC-4 guards hold for the set as a whole. Now: one
 * transaction disables them all. 預約生效: one scheduled change each, re-checked when it runs.
 */
export function createBatchDisable(deps: { db: Database; clock: Clock; directory: DirectoryQueue }) {
  const { db, clock, directory } = deps;

  async function selection(actor: Actor, ids: number[]) {
    const rows = await scopeAccounts(
      db
        .selectFrom("accounts as a")
        .innerJoin("org_nodes as u", "u.id", "a.unit_id")
        .select(["a.id", "a.username", "a.role", "a.status", "a.needs_official_mail", "u.agency_id as agencyId"])
        .where("a.id", "in", ids),
      actor,
    ).execute();
    // An id outside the actor's scope reads exactly like an id that does not exist.
    if (rows.length !== ids.length) throw notFound();
    return rows;
  }

  async function checkRules(actor: Actor, ids: number[]) {
    if (ids.length === 0) throw new DomainError("invalid", batchRules.none, { ids: batchRules.none });
    if (ids.length > BATCH_MAX) throw new DomainError("invalid", batchRules.tooMany, { ids: batchRules.tooMany });
    const rows = await selection(actor, ids);
    const same = (f: (r: (typeof rows)[number]) => unknown) => new Set(rows.map(f)).size === 1;
    const refuse = (msg: string) => {
      throw new DomainError("invalid", msg, { ids: msg });
    };
    if (!same((r) => r.agencyId)) refuse(batchRules.agency);
    if (!same((r) => r.role)) refuse(batchRules.role);
    if (!same((r) => r.status)) refuse(batchRules.status);
    if (!same((r) => r.needs_official_mail)) refuse(batchRules.mail);
    const pending = await withPendingApplication(db, ids);
    if (pending.length > 0) refuse(`${batchRules.pending}（${pending.map((p) => p.username).join("、")}）。`);
    if (rows[0]!.status === "disabled") refuse(batchRules.disabled);
    if (ids.includes(actor.accountId)) refuse(batchRules.self);
    return rows;
  }

  async function batchDisable(actor: Actor, input: BatchInput): Promise<{ count: number; scheduledAt: Date | null }> {
    requireAdmin(actor);
    const ids = parseIds(input.ids);
    const rows = await checkRules(actor, ids);
    const reason = parseDisableReason(input);
    const now = clock.now();
    const executeAt = parseEffective(input, now);
    const agencyId = rows[0]!.agencyId;
    await inTransaction(db, async (trx) => {
      if (executeAt === null) {
        await disableNow(trx, directory, {
          accountIds: ids,
          reason,
          at: now,
          author: { actorId: actor.accountId, ip: actor.ip },
        });
      } else {
        // Refuse now what would be refused at its time anyway; it is checked again then.
        await lockAgenciesOf(trx, ids);
        const blocks = await disableBlocks(trx, ids);
        if (blocks.length > 0) throwBlocks(blocks);
        for (const id of ids)
          await scheduleChange(trx, {
            type: "account.disable",
            targetAccountId: id,
            agencyId,
            executeAt,
            payload: { reason },
            createdBy: actor.accountId,
            now,
          });
      }
      await writeAudit(trx, actor, now, {
        action: executeAt ? "account.batch-disable.schedule" : "account.batch-disable",
        targetType: "account",
        targetId: ids.join(","),
        detail: { ids, reason, executeAt: executeAt?.toISOString() ?? null },
      });
    });
    return { count: ids.length, scheduledAt: executeAt };
  }

  return { batchDisable };
}
