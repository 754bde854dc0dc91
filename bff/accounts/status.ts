import type { Tx } from "../../db/index.js";
import type { AccountStatus } from "../../db/schema.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { DomainError } from "../errors.js";
import { revokeAccountSso } from "../oidc/revoke.js";
import { logChanges } from "./change-log.js";
import { type DisableBlock, disableBlocks, type LeaveKind } from "./guards.js";
import { statusText } from "./labels.js";

/** Who made a change: a person, or (for the idle job) nobody. */
export interface ChangeAuthor {
  actorId: number | null;
  ip?: string;
  scheduledChangeId?: number | null;
}

/** An audit row for changes made by a scheduled job or the idle job, where no session exists. */
export async function auditAs(
  trx: Tx,
  author: ChangeAuthor,
  at: Date,
  entry: { action: string; targetId: number; detail?: Record<string, unknown> },
) {
  await trx
    .insertInto("audit_log")
    .values({
      at,
      actor_id: author.actorId,
      action: entry.action,
      target_type: "account",
      target_id: String(entry.targetId),
      detail: JSON.stringify({ ...entry.detail, scheduledChangeId: author.scheduledChangeId ?? undefined }),
      ip: author.ip ?? "",
    })
    .execute();
}

/**
 * Locks the agencies of these accounts for the rest of the transaction, so two disables
 * that would each leave "another admin" cannot both pass the only-admin check.
 */
export async function lockAgenciesOf(trx: Tx, accountIds: number[]) {
  if (accountIds.length === 0) return;
  await trx
    .selectFrom("org_nodes")
    .select("id")
    .where(
      "id",
      "in",
      trx
        .selectFrom("accounts as a")
        .innerJoin("org_nodes as u", "u.id", "a.unit_id")
        .select("u.agency_id")
        .where("a.id", "in", accountIds),
    )
    .orderBy("id")
    .forUpdate()
    .execute();
}

const refusedAs: Record<LeaveKind, string> = { disable: "無法停用", move: "無法異動機關", demote: "無法變更權限" };

/**
 * Refuses with every block's message; the fields carry the links to fix them (an admin's
 * pages: a person applying for themselves gets the message alone, `links: false`).
 */
export function throwBlocks(blocks: DisableBlock[], kind: LeaveKind = "disable", links = true): never {
  const fields: Record<string, string> = {};
  if (links) for (const b of blocks) fields[`fix:${b.fixUrl}`] = `${b.name}（${b.username}）`;
  throw new DomainError("conflict", `${refusedAs[kind]}：${blocks.map((b) => b.message).join(" ")}`, fields);
}

/**
 * Sets one account's status in the caller's transaction: the status change log, its
 * sessions and single sign-on ended (when not enabled), and its AD change queued.
 * Guards are the caller's (they differ between a batch, one account and the idle job).
 */
export async function applyStatus(
  trx: Tx,
  directory: DirectoryQueue,
  input: { accountId: number; status: AccountStatus; reason: string | null; at: Date; author: ChangeAuthor },
): Promise<{ before: AccountStatus }> {
  const current = await trx
    .selectFrom("accounts")
    .select(["status"])
    .where("id", "=", input.accountId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  await trx
    .updateTable("accounts")
    .set({
      status: input.status,
      status_reason: input.reason,
      status_changed_at: input.at,
      updated_at: input.at,
    })
    .where("id", "=", input.accountId)
    .execute();
  if (input.status !== "enabled") {
    await trx.deleteFrom("sessions").where("account_id", "=", input.accountId).execute();
    await revokeAccountSso(trx, input.accountId);
  }
  await logChanges(trx, {
    accountId: input.accountId,
    kind: "status",
    actorId: input.author.actorId,
    at: input.at,
    scheduledChangeId: input.author.scheduledChangeId,
    changes: [
      {
        field: "帳號狀態",
        before: statusText[current.status] ?? current.status,
        after: statusText[input.status] ?? input.status,
        note: input.reason ?? "",
      },
    ],
  });
  await directory.accountChanged(trx, { accountId: input.accountId, at: input.at, by: input.author.actorId });
  return { before: current.status };
}

/**
 * Disables accounts now, with the ACC-4 guards checked inside the same transaction (after
 * locking their agencies). Used by the batch, the single status change and the scheduled
 * executor.
 */
export async function disableNow(
  trx: Tx,
  directory: DirectoryQueue,
  input: { accountIds: number[]; reason: string; at: Date; author: ChangeAuthor },
) {
  await lockAgenciesOf(trx, input.accountIds);
  const blocks = await disableBlocks(trx, input.accountIds);
  if (blocks.length > 0) throwBlocks(blocks);
  for (const accountId of input.accountIds) {
    const { before } = await applyStatus(trx, directory, { ...input, accountId, status: "disabled" });
    await auditAs(trx, input.author, input.at, {
      action: "account.disable",
      targetId: accountId,
      detail: { from: before, to: "disabled", reason: input.reason },
    });
  }
}
