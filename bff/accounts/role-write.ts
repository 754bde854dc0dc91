import type { Tx } from "../../db/index.js";
import type { Role } from "../../db/schema.js";
import { logChanges } from "./change-log.js";
import { roleText } from "./labels.js";
import { type ChangeAuthor, auditAs } from "./status.js";

/**
 * Writes a role change in the caller's transaction, after its guards: the role, the end of
 * the person's sessions (they carry the old role), a 權限 row in the change log and an
 * `account.role` audit row. Used by ACC-12 and by the reset when someone leaves the agency.
 */
export async function writeRole(
  trx: Tx,
  input: { accountId: number; from: Role; to: Role; at: Date; author: ChangeAuthor; note?: string; reason?: string },
) {
  await trx
    .updateTable("accounts")
    .set({ role: input.to, updated_at: input.at })
    .where("id", "=", input.accountId)
    .execute();
  await trx.deleteFrom("sessions").where("account_id", "=", input.accountId).execute();
  await logChanges(trx, {
    accountId: input.accountId,
    kind: "status",
    actorId: input.author.actorId,
    at: input.at,
    scheduledChangeId: input.author.scheduledChangeId,
    changes: [
      {
        field: "權限",
        before: roleText[input.from] ?? input.from,
        after: roleText[input.to] ?? input.to,
        ...(input.note ? { note: input.note } : {}),
      },
    ],
  });
  await auditAs(trx, input.author, input.at, {
    action: "account.role",
    targetId: input.accountId,
    detail: { from: input.from, to: input.to, ...(input.reason ? { reason: input.reason } : {}) },
  });
}
