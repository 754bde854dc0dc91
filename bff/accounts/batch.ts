import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import { type Actor, requireAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { scheduleChange } from "../scheduled/changes.js";
import { parseInput } from "../validation.js";
import type { AccountDeps } from "./deps.js";
import { disableBlocks } from "./guards.js";
import { authorOf } from "./schedule.js";
import * as schemas from "./schemas.js";
import { batchRules } from "./schemas.js";
import { scopeAccounts } from "./scope.js";
import { disableNow, lockAgenciesOf, throwBlocks } from "./status.js";

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

/** The selected accounts; an id outside the actor's scope reads exactly like one that does not exist. */
async function selection(db: Database, actor: Actor, ids: number[]) {
  const rows = await scopeAccounts(
    db
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.username", "a.role", "a.status", "a.needs_official_mail", "u.agency_id as agencyId"])
      .where("a.id", "in", ids),
    actor,
  ).execute();
  if (rows.length !== ids.length) throw notFound();
  return rows;
}

/** The selection must share agency, role, status and mail use, and none may wait for review. */
async function checkRules(db: Database, actor: Actor, ids: number[]) {
  const rows = await selection(db, actor, ids);
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

/**
 * ACC-11 批次停用: the selection passes the rules above and the ACC-4 guards as a whole. Now:
 * one transaction disables them all. 預約生效: one scheduled change each, re-checked when it runs.
 */
export async function batchDisable(
  deps: AccountDeps,
  actor: Actor,
  raw: schemas.BatchDisableInput,
): Promise<{ count: number; scheduledAt: Date | null }> {
  // The console is a 404 to anyone else, whatever they send.
  requireAdmin(actor);
  const { ids, reason, executeAt } = parseInput(schemas.batchDisable(deps.clock.now()), raw);
  const { db, clock, directory } = deps;
  if (ids === null) throw notFound();
  const rows = await checkRules(db, actor, ids);
  const now = clock.now();
  const agencyId = rows[0]!.agencyId;
  await inTransaction(db, async (trx) => {
    if (executeAt === null) {
      await disableNow(trx, directory, { accountIds: ids, reason, at: now, author: authorOf(actor) });
    } else {
      // Refuse now what would be refused at its time anyway; it is checked again then.
      await lockAgenciesOf(trx, ids);
      const blocks = await disableBlocks(trx, ids);
      if (blocks.length > 0) throwBlocks(blocks);
      for (const id of ids) {
        const change = { type: "account.disable", targetAccountId: id, agencyId, executeAt, payload: { reason } };
        await scheduleChange(trx, { ...change, createdBy: actor.accountId, now });
      }
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
