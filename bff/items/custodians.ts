import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, xlsxStream } from "../exports/xlsx.js";
import type { Clock } from "../ports/clock.js";
import { startOfTaipeiDay } from "../time.js";
import { custodiansOf, manageableItem, parseDay } from "./queries.js";
import { holderLabels, kindLabels, parseId, textField } from "./validate.js";

export const REASON_MAX = 200;
const PAGE = 10;

export interface ChangeLogFilter {
  from?: unknown; // 執行時間 from, Taipei "YYYY-MM-DD"
  to?: unknown;
}

/**
 * ITM 保管人設定 / 管理人員設定: two slots, slot 1 required and slot 2 optional; every change
 * takes a reason and leaves a custodian_changes row (保管人異動紀錄) and an audit row.
 */
export function createCustodians(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  /** Is this account an enabled person of the agency? */
  async function personOfAgency(trx: Database, accountId: number, agencyId: number) {
    return trx
      .selectFrom("accounts as a")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select(["a.id", "a.name"])
      .where("a.id", "=", accountId)
      .where("a.status", "=", "enabled")
      .where("u.agency_id", "=", agencyId)
      .executeTakeFirst();
  }

  /**
   * Sets slot 1 or 2 to a person of the managing agency, or empties slot 2 (accountId ""),
   * with a reason. Slot 1 can be handed over but never emptied.
   */
  async function setCustodian(
    actor: Actor,
    kind: ItemKind,
    itemId: unknown,
    input: { slot: unknown; accountId: unknown; reason: unknown },
  ): Promise<void> {
    const item = await manageableItem(db, actor, kind, itemId);
    const holder = holderLabels[kind];
    const slot = input.slot === "1" || input.slot === 1 ? 1 : input.slot === "2" || input.slot === 2 ? 2 : null;
    if (slot === null) throw new DomainError("invalid", `請選擇要設置的${holder}。`);
    const fields: Record<string, string> = {};
    const reason = textField(fields, "reason", input.reason, {
      label: "異動原因",
      max: REASON_MAX,
      required: true,
      multiline: true,
    });
    const removing = input.accountId === "" || input.accountId === undefined || input.accountId === null;
    const accountId = removing ? null : parseId(input.accountId);
    if (removing && slot === 1) fields.accountId = `${holder} 1 為必填，只能移轉給他人，不可移除`;
    else if (!removing && accountId === null) fields.accountId = `請選擇新${holder}`;
    if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);

    const now = clock.now();
    await db.transaction().execute(async (trx) => {
      // Lock the item's slots so two changes of the same slot cannot cross.
      await trx.selectFrom("items").select("id").where("id", "=", item.id).forUpdate().executeTakeFirst();
      const current = await trx
        .selectFrom("item_custodians")
        .select(["slot", "account_id"])
        .where("item_id", "=", item.id)
        .execute();
      const here = current.find((c) => c.slot === slot)?.account_id ?? null;
      const other = current.find((c) => c.slot !== slot)?.account_id ?? null;
      if (accountId === null) {
        if (here === null)
          throw new DomainError("invalid", `${holder} 2 目前沒有人，無需移除。`, {
            accountId: `${holder} 2 目前沒有人`,
          });
        await trx.deleteFrom("item_custodians").where("item_id", "=", item.id).where("slot", "=", 2).execute();
      } else {
        if (accountId === here)
          throw new DomainError("invalid", "請修正標示的欄位。", { accountId: `此人已是${holder} ${slot}` });
        if (accountId === other)
          throw new DomainError("invalid", "請修正標示的欄位。", {
            accountId: `此人已是${holder} ${slot === 1 ? 2 : 1}，不可同時擔任兩個位置`,
          });
        const person = await personOfAgency(trx, accountId, item.agency_id);
        if (!person)
          throw new DomainError("invalid", "請修正標示的欄位。", { accountId: `${holder}須為管理機關的在職同仁` });
        await trx
          .insertInto("item_custodians")
          .values({ item_id: item.id, slot, account_id: accountId })
          .onConflict((oc) => oc.columns(["item_id", "slot"]).doUpdateSet({ account_id: accountId }))
          .execute();
      }
      await trx
        .insertInto("custodian_changes")
        .values({
          item_id: item.id,
          slot,
          from_account_id: here,
          to_account_id: accountId,
          reason: reason!,
          actor_id: actor.accountId,
          at: now,
        })
        .execute();
      await writeAudit(trx, actor, now, {
        action: "item.custodian",
        targetType: "item",
        targetId: item.id,
        detail: { slot, from: here, to: accountId, reason },
      });
    });
  }

  function logQuery(itemId: number, filter: ChangeLogFilter) {
    let q = db
      .selectFrom("custodian_changes as cc")
      .leftJoin("accounts as fa", "fa.id", "cc.from_account_id")
      .leftJoin("accounts as ta", "ta.id", "cc.to_account_id")
      .leftJoin("accounts as xa", "xa.id", "cc.actor_id")
      .where("cc.item_id", "=", itemId);
    const from = parseDay(filter.from);
    const to = parseDay(filter.to);
    if (from) q = q.where("cc.at", ">=", startOfTaipeiDay(from));
    if (to) q = q.where("cc.at", "<", new Date(startOfTaipeiDay(to).getTime() + 86_400_000));
    return { q, applied: { from: from ?? "", to: to ?? "" } };
  }

  const logColumns = [
    "cc.id",
    "cc.at",
    "cc.slot",
    "cc.reason",
    "fa.name as fromName",
    "ta.name as toName",
    "xa.name as actorName",
  ] as const;

  /** 保管人異動紀錄, newest first, filtered by 執行時間, 10 a page. */
  async function changeLog(
    actor: Actor,
    kind: ItemKind,
    itemId: unknown,
    filter: ChangeLogFilter & { page?: unknown },
  ) {
    const item = await manageableItem(db, actor, kind, itemId);
    const page = Math.max(1, Math.min(10_000, Number(filter.page) || 1));
    const { q, applied } = logQuery(item.id, filter);
    const [rows, total] = await Promise.all([
      q
        .select(logColumns)
        .orderBy("cc.at", "desc")
        .orderBy("cc.id", "desc")
        .limit(PAGE)
        .offset((page - 1) * PAGE)
        .execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: total.n, page, pageSize: PAGE, filter: applied };
  }

  /** The whole filtered change log as a streamed .xlsx (EXP). Scope is checked before the first byte. */
  async function exportChangeLog(actor: Actor, kind: ItemKind, itemId: unknown, filter: ChangeLogFilter) {
    const item = await manageableItem(db, actor, kind, itemId);
    const { q } = logQuery(item.id, filter);
    type Row = Awaited<ReturnType<typeof pageOf>>[number];
    const pageOf = (after: { at: Date; id: number } | null, limit: number) => {
      let page = q.select(logColumns);
      if (after) page = page.where(sql<boolean>`(cc.at, cc.id) < (${after.at}::timestamptz, ${after.id}::bigint)`);
      return page.orderBy("cc.at", "desc").orderBy("cc.id", "desc").limit(limit).execute();
    };
    const holder = holderLabels[kind];
    const stream = xlsxStream<Row>({
      sheetName: `${holder}異動紀錄`,
      columns: [
        { header: "執行時間", width: 18, value: (r) => taipeiDateTime(r.at) },
        { header: `${holder}`, width: 10, value: (r) => `${holder} ${r.slot}` },
        { header: `原${holder}`, width: 14, value: (r) => r.fromName ?? "" },
        { header: `新${holder}`, width: 14, value: (r) => r.toName ?? "（移除）" },
        { header: "異動原因", width: 40, value: (r) => r.reason },
        { header: "執行人", width: 14, value: (r) => r.actorName ?? "" },
      ],
      rows: keysetRows(pageOf),
    });
    return {
      stream,
      headers: attachmentHeaders(`${kindLabels[kind]}_${item.name}_${holder}異動紀錄.xlsx`),
    };
  }

  return {
    setCustodian,
    changeLog,
    exportChangeLog,
    custodiansOf: (itemId: number) => custodiansOf(db, itemId),
    personOfAgency,
  };
}
