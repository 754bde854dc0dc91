import type { Tx } from "../db/index.js";
import type { Actor } from "./actor.js";

export interface AuditEntry {
  action: string;
  targetType: string;
  targetId: string | number;
  detail?: Record<string, unknown>;
}

/**
 * Writes one audit row (PRT-5) in the caller's transaction. Only who and from where are read,
 * so a sign-in step (no session yet) can record the person acting on their own account.
 */
export async function writeAudit(
  trx: Tx,
  actor: Pick<Actor, "accountId" | "ip">,
  at: Date,
  entry: AuditEntry,
): Promise<void> {
  await trx
    .insertInto("audit_log")
    .values({
      at,
      actor_id: actor.accountId,
      action: entry.action,
      target_type: entry.targetType,
      target_id: String(entry.targetId),
      detail: JSON.stringify(entry.detail ?? {}),
      ip: actor.ip,
    })
    .execute();
}
