import type { Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { scheduleChange } from "../scheduled/changes.js";

/**
 * 預約生效 (ACC-9) of one account's change: recorded to run at its time (the executor in
 * changes.ts re-checks the rules then), with an audit row `<action>.schedule` saying so.
 */
export async function scheduleFor(
  trx: Tx,
  actor: Actor,
  account: { id: number; agencyId: number },
  change: { type: string; action: string; executeAt: Date; now: Date; payload: object; detail: object },
) {
  const { executeAt, now } = change;
  await scheduleChange(trx, {
    type: change.type,
    targetAccountId: account.id,
    agencyId: account.agencyId,
    executeAt,
    payload: { ...change.payload },
    createdBy: actor.accountId,
    now,
  });
  await writeAudit(trx, actor, now, {
    action: `${change.action}.schedule`,
    targetType: "account",
    targetId: account.id,
    detail: { ...change.detail, executeAt: executeAt.toISOString() },
  });
}

/** Who made a change now, for the change log and audit rows written by changes.ts and status.ts. */
export const authorOf = (actor: Actor) => ({ actorId: actor.accountId, ip: actor.ip });
