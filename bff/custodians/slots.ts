import { type Kysely, sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, xlsxStream } from "../exports/xlsx.js";
import { parseDay } from "../items/queries.js";
import type { Clock } from "../ports/clock.js";
import { startOfTaipeiDay } from "../time.js";
import { parseInput } from "../validation.js";
import { type CustodianChangeInput, custodianChange, REASON_MAX } from "./schemas.js";
import { inTransaction } from "../../db/transaction.js";

export { REASON_MAX };
export const PAGE_SIZE = 10;

/** Where one kind of owner (an item, a repair type) keeps its two custodian slots. */
export interface SlotTables {
  /** The owner table, locked while a slot changes. */
  owners: "items" | "repair_types";
  /** The slots table: (owner, slot, account_id). */
  custodians: "item_custodians" | "repair_type_custodians";
  /** The change log (保管人異動紀錄): (owner, slot, from/to account, reason, actor, at). */
  changes: "custodian_changes" | "repair_custodian_changes";
  /** The owner column in both `custodians` and `changes`. */
  owner: "item_id" | "type_id";
  /** Audit row written for every change. */
  auditAction: string;
  auditTarget: string;
}

/** The owner of the slots, already checked to be manageable by the actor. */
export interface SlotOwner {
  id: number;
  agency_id: number;
}

export interface ChangeLogFilter {
  from?: unknown; // 執行時間 from, Taipei "YYYY-MM-DD"
  to?: unknown;
}

/**
 * The tables above are chosen at run time, which Kysely's types cannot follow: the queries
 * below run on an untyped view of the database. This is the only place they do; the rows
 * they return are typed by hand.
 */
type AnyDb = Kysely<any>;
const untyped = (db: Database) => db as unknown as AnyDb;

/** Is this account an enabled person of the agency? */
export async function personOfAgency(db: Database, accountId: number, agencyId: number) {
  return db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.name"])
    .where("a.id", "=", accountId)
    .where("a.status", "=", "enabled")
    .where("u.agency_id", "=", agencyId)
    .executeTakeFirst();
}

export interface ChangeRow {
  id: number;
  at: Date;
  slot: number;
  reason: string;
  fromName: string | null;
  toName: string | null;
  actorName: string | null;
}

/**
 * Two custodian slots (保管人 / 管理人): slot 1 required and slot 2 optional; every change
 * takes a reason and leaves a change-log row and an audit row.
 */
export function createSlots(deps: { db: Database; clock: Clock }, t: SlotTables) {
  const { db, clock } = deps;

  /**
   * Sets slot 1 or 2 to a person of the owner's agency, or empties slot 2 (accountId ""),
   * with a reason. Slot 1 can be handed over but never emptied. `holder` names the slot.
   * `inTrx`: in the caller's transaction (a custody transfer logs it too); else in its own.
   */
  async function setCustodian(
    actor: Actor,
    owner: SlotOwner,
    holder: string,
    raw: CustodianChangeInput,
    inTrx?: Tx,
  ): Promise<void> {
    const { slot, accountId, reason } = parseInput(custodianChange(holder), raw);
    const now = clock.now();
    const run = (fn: (typed: Tx) => Promise<void>) => (inTrx ? fn(inTrx) : inTransaction(db, fn));
    await run(async (typed) => {
      const trx = untyped(typed);
      // Lock the owner's slots so two changes of the same slot cannot cross.
      await trx.selectFrom(t.owners).select("id").where("id", "=", owner.id).forUpdate().executeTakeFirst();
      const current: { slot: number; account_id: number }[] = await trx
        .selectFrom(t.custodians)
        .select(["slot", "account_id"])
        .where(t.owner, "=", owner.id)
        .execute();
      const here = current.find((c) => c.slot === slot)?.account_id ?? null;
      const other = current.find((c) => c.slot !== slot)?.account_id ?? null;
      if (accountId === null) {
        if (here === null)
          throw new DomainError("invalid", `${holder} 2 目前沒有人，無需移除。`, {
            accountId: `${holder} 2 目前沒有人`,
          });
        await trx.deleteFrom(t.custodians).where(t.owner, "=", owner.id).where("slot", "=", 2).execute();
      } else {
        if (accountId === here)
          throw new DomainError("invalid", "請修正標示的欄位。", { accountId: `此人已是${holder} ${slot}` });
        if (accountId === other)
          throw new DomainError("invalid", "請修正標示的欄位。", {
            accountId: `此人已是${holder} ${slot === 1 ? 2 : 1}，不可同時擔任兩個位置`,
          });
        if (!(await personOfAgency(typed, accountId, owner.agency_id)))
          throw new DomainError("invalid", "請修正標示的欄位。", { accountId: `${holder}須為管理機關的在職同仁` });
        await trx
          .insertInto(t.custodians)
          .values({ [t.owner]: owner.id, slot, account_id: accountId })
          .onConflict((oc) => oc.columns([t.owner, "slot"]).doUpdateSet({ account_id: accountId }))
          .execute();
      }
      await trx
        .insertInto(t.changes)
        .values({
          [t.owner]: owner.id,
          slot,
          from_account_id: here,
          to_account_id: accountId,
          reason,
          actor_id: actor.accountId,
          at: now,
        })
        .execute();
      await writeAudit(typed, actor, now, {
        action: t.auditAction,
        targetType: t.auditTarget,
        targetId: owner.id,
        detail: { slot, from: here, to: accountId, reason },
      });
    });
  }

  function logQuery(ownerId: number, filter: ChangeLogFilter) {
    let q = untyped(db)
      .selectFrom(`${t.changes} as cc`)
      .leftJoin("accounts as fa", "fa.id", "cc.from_account_id")
      .leftJoin("accounts as ta", "ta.id", "cc.to_account_id")
      .leftJoin("accounts as xa", "xa.id", "cc.actor_id")
      .where(`cc.${t.owner}`, "=", ownerId);
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

  /** The change log, newest first, filtered by 執行時間, 10 a page. */
  async function changeLog(ownerId: number, filter: ChangeLogFilter & { page?: unknown }) {
    const page = Math.max(1, Math.min(10_000, Number(filter.page) || 1));
    const { q, applied } = logQuery(ownerId, filter);
    const [rows, total] = await Promise.all([
      q
        .select(logColumns)
        .orderBy("cc.at", "desc")
        .orderBy("cc.id", "desc")
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
        .execute() as Promise<ChangeRow[]>,
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n), page, pageSize: PAGE_SIZE, filter: applied };
  }

  /**
   * The whole filtered change log as a streamed .xlsx (EXP), named
   * `${ownerLabel}_${ownerName}_${holder}異動紀錄.xlsx`. The caller checks scope first.
   */
  function exportChangeLog(
    ownerId: number,
    filter: ChangeLogFilter,
    names: { holder: string; ownerLabel: string; ownerName: string },
  ) {
    const { holder } = names;
    const { q } = logQuery(ownerId, filter);
    const pageOf = (after: { at: Date; id: number } | null, limit: number): Promise<ChangeRow[]> => {
      let page = q.select(logColumns);
      if (after) page = page.where(sql<boolean>`(cc.at, cc.id) < (${after.at}::timestamptz, ${after.id}::bigint)`);
      return page.orderBy("cc.at", "desc").orderBy("cc.id", "desc").limit(limit).execute();
    };
    const stream = xlsxStream<ChangeRow>({
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
      headers: attachmentHeaders(`${names.ownerLabel}_${names.ownerName}_${holder}異動紀錄.xlsx`),
    };
  }

  return { setCustodian, changeLog, exportChangeLog };
}
