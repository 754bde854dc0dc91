import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { DirectoryQueue } from "../directory/queue.js";
import { enqueue } from "../jobs/queue.js";
import type { JobHandlers } from "../jobs/worker.js";
import { queueMail } from "../notifications/mail.js";
import { readParam } from "../params/store.js";
import { startOfTaipeiDay, taipeiDate } from "../time.js";
import { agencyAdminIds } from "./agency-admins.js";
import { mailAddresses } from "./mail-address.js";
import { disableBlocks } from "./guards.js";
import { applyStatus, auditAs, lockAgenciesOf } from "./status.js";
import { inTransaction } from "../../db/transaction.js";

export const IDLE_DISABLE_JOB = "accounts.idle-disable";

/**
 * ACC-5 閒置停用: enabled accounts whose latest sign-in (any method: portal, SSO and the
 * verification API all set last_login_at) — or, never signed in, their activation or
 * creation — is more than N days (system parameter) before `now`. The ACC-4 guards apply
 * to the whole idle set; refused accounts stay enabled and are reported to their agency's
 * admins by mail.
 */
export async function runIdleDisable(trx: Tx, directory: DirectoryQueue, officialMailDomain: string, now: Date) {
  // Read now, not from a cache: the job runs once a day and must see the value as it stands.
  const days = await readParam(trx, "idle_disable_days");
  const cutoff = new Date(now.getTime() - days * 86_400_000);
  const idle = await trx
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.username", "a.name", "u.agency_id as agencyId"])
    .where("a.status", "=", "enabled")
    .where(sql<Date>`greatest(a.last_login_at, a.status_changed_at, a.created_at)`, "<", cutoff)
    .orderBy("a.id")
    .execute();
  if (idle.length === 0) return { days, disabled: 0, refused: 0 };
  const ids = idle.map((a) => a.id);
  await lockAgenciesOf(trx, ids);
  const blocks = await disableBlocks(trx, ids);
  const blocked = new Set(blocks.map((b) => b.accountId));
  const reason = `閒置停用（${days} 天未登入）`;
  for (const a of idle) {
    if (blocked.has(a.id)) continue;
    await applyStatus(trx, directory, {
      accountId: a.id,
      status: "disabled",
      reason,
      at: now,
      author: { actorId: null },
    });
    await auditAs(trx, { actorId: null }, now, { action: "account.idle-disable", targetId: a.id, detail: { days } });
  }
  await reportRefused(trx, officialMailDomain, now, idle, blocks);
  return { days, disabled: idle.length - blocked.size, refused: blocked.size };
}

/** Each agency's enabled admins get one mail listing its idle accounts that could not be disabled, and why. */
async function reportRefused(
  trx: Tx,
  officialMailDomain: string,
  now: Date,
  idle: { id: number; agencyId: number }[],
  blocks: Awaited<ReturnType<typeof disableBlocks>>,
) {
  const agencyOf = new Map(idle.map((a) => [a.id, a.agencyId]));
  const byAgency = new Map<number, typeof blocks>();
  for (const b of blocks) {
    const agencyId = agencyOf.get(b.accountId)!;
    byAgency.set(agencyId, [...(byAgency.get(agencyId) ?? []), b]);
  }
  const day = taipeiDate(now);
  for (const [agencyId, list] of byAgency) {
    const addresses = await mailAddresses(trx, await agencyAdminIds(trx, agencyId), officialMailDomain);
    const lines = list.map((b) => `・${b.message}\n  處理：${b.fixUrl}`).join("\n");
    for (const [adminId, to] of addresses)
      await queueMail(
        trx,
        now,
        {
          to,
          subject: "【公務入口網】閒置帳號無法自動停用，請協助處理",
          text: `下列帳號已達閒置停用天數，但因尚有待處理事項而未停用：\n${lines}\n完成後，系統將於下次閒置停用作業時停用。`,
        },
        `idle-refused:${day}:${agencyId}:${adminId}`,
      );
    for (const b of list)
      await auditAs(trx, { actorId: null }, now, {
        action: "account.idle-disable.refused",
        targetId: b.accountId,
        detail: { rule: b.rule, message: b.message },
      });
  }
}

/**
 * Queues today's idle-disable run, due at 02:00 Taipei. Every app server and worker may
 * call this; the per-day idempotency key lets only the first enqueue of a day count, so
 * the job runs exactly once a day across servers. Nothing else commits with it: its own transaction.
 */
export async function queueIdleDisable(db: Database, now: Date) {
  const day = taipeiDate(now);
  await inTransaction(db, (trx) =>
    enqueue(trx, {
      kind: IDLE_DISABLE_JOB,
      runAt: new Date(startOfTaipeiDay(day).getTime() + 2 * 3600_000),
      idempotencyKey: `idle-disable:${day}`,
      maxAttempts: 3,
    }),
  );
}

export function accountJobHandlers(deps: { directory: DirectoryQueue; officialMailDomain: string }): JobHandlers {
  return {
    [IDLE_DISABLE_JOB]: {
      run: ({ db, now }) => runIdleDisable(db, deps.directory, deps.officialMailDomain, now),
    },
  };
}
