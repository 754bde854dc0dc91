import type { Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { queueMail } from "../notifications/mail.js";
import { queuePush } from "../push/notify.js";
import type { RepairsDeps } from "./deps.js";

/**
 * Who hears of a ticket, by push and mail, queued in the ticket's transaction (sent by the
 * worker after commit): vendor staff of a new or resubmitted ticket; the reporter and the
 * type's custodians of a handling or a return.
 */
export function createRepairNotices(deps: RepairsDeps) {
  // A path without PUBLIC_ORIGIN (the dev mailbox makes it absolute; production requires the origin).
  const link = (ticketId: number) => `\n${deps.baseUrl ?? ""}/repairs/${ticketId}`;

  /** The same subject to each account's mail address; the text may differ by account. */
  async function mailEach(
    trx: Tx,
    now: Date,
    ids: number[],
    title: string,
    key: string,
    text: (accountId: number) => string,
  ) {
    for (const [accountId, to] of await mailAddresses(trx, ids, deps.officialMailDomain))
      await queueMail(
        trx,
        now,
        { to, subject: `【公務入口網】${title}`, text: text(accountId) },
        `${key}:${accountId}`,
      );
  }

  async function notifyVendors(
    trx: Tx,
    type: { id: number; name: string },
    ticketId: number,
    actor: Actor,
    description: string,
    now: Date,
    why: "new" | "resubmit",
  ) {
    const vendors = await trx
      .selectFrom("repair_type_vendors")
      .select("account_id")
      .where("type_id", "=", type.id)
      .execute();
    const ids = vendors.map((r) => r.account_id);
    const title = why === "new" ? `新報修待處理：${type.name}` : `報修已重新送出：${type.name}`;
    const key = `repair-${why}:${ticketId}:${now.getTime()}`;
    await queuePush(
      trx,
      now,
      ids,
      {
        title,
        body: `${actor.name}：${description.slice(0, 80)}`,
        url: `/repairs/${ticketId}`,
        tag: `repair-${ticketId}`,
      },
      { ttl: 86_400, urgency: "high" },
      key,
    );
    const text = `${actor.name} 報修「${type.name}」：\n${description}\n請至公務入口網「報修」頁處理。${link(ticketId)}`;
    await mailEach(trx, now, ids, title, key, () => text);
  }

  /** The reporter and the type's custodians hear of a handling or a return (mail and push). */
  async function notifyOutcome(
    trx: Tx,
    t: { id: number; type_id: number; typeName: string; reporter_id: number },
    outcome: "processed" | "returned",
    detail: string,
    now: Date,
  ) {
    const custodians = await trx
      .selectFrom("repair_type_custodians")
      .select("account_id")
      .where("type_id", "=", t.type_id)
      .execute();
    const ids = [...new Set([t.reporter_id, ...custodians.map((c) => c.account_id)])];
    const title = outcome === "processed" ? `報修已處理：${t.typeName}` : `報修已退回：${t.typeName}`;
    const key = `repair-${outcome}:${t.id}:${now.getTime()}`;
    await queuePush(
      trx,
      now,
      ids,
      { title, body: detail.slice(0, 120), url: `/repairs/${t.id}`, tag: `repair-${t.id}` },
      { ttl: 86_400, urgency: "normal" },
      key,
    );
    const resend = (accountId: number) =>
      outcome === "returned" && accountId === t.reporter_id ? "\n請至公務入口網「報修」頁修改後重新送出。" : "";
    await mailEach(trx, now, ids, title, key, (accountId) => `${title}\n${detail}${resend(accountId)}${link(t.id)}`);
  }

  return { notifyVendors, notifyOutcome };
}

export type RepairNotices = ReturnType<typeof createRepairNotices>;
