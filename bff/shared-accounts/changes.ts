import type { Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { notFound } from "../errors.js";
import { idOr404 } from "../validation.js";
import type { Scope } from "./scope.js";

/** One shared account the actor may act on under `scope`, locked for the transaction; else 404. */
export async function lockShared(trx: Tx, scope: Scope, rawId: unknown) {
  const id = idOr404(rawId);
  const row = await trx
    .selectFrom("shared_accounts as sa")
    .selectAll("sa")
    .where("sa.id", "=", id)
    .where(scope)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound();
  return row;
}

export interface ChangeEntry {
  kind: "data" | "status";
  field: string;
  before?: string;
  after?: string;
  reason?: string;
}

/** A change-log row (who, when, what, before -> after) and its audit row, in the caller's transaction. */
export async function logChange(
  trx: Tx,
  actor: Actor,
  now: Date,
  sharedAccountId: number,
  action: string,
  e: ChangeEntry,
) {
  await trx
    .insertInto("shared_account_changes")
    .values({
      shared_account_id: sharedAccountId,
      kind: e.kind,
      field: e.field,
      before: e.before ?? "",
      after: e.after ?? "",
      reason: e.reason ?? "",
      changed_by: actor.accountId,
      at: now,
    })
    .execute();
  await writeAudit(trx, actor, now, {
    action,
    targetType: "shared_account",
    targetId: sharedAccountId,
    detail: { field: e.field, before: e.before ?? "", after: e.after ?? "", reason: e.reason ?? "" },
  });
}
