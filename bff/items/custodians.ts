import type { ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { createSlots } from "../custodians/slots.js";
import type { ItemDeps } from "./deps.js";
import { manageableItem } from "./queries.js";
import type { CustodianChangeInput } from "../custodians/schemas.js";
import { type IdParam, parseInput } from "../validation.js";
import { holderLabels, kindLabels, type RecordFilterInput, recordFilter } from "./schemas.js";

/**
 * ITM 保管人設定 / 管理人員設定: two slots, slot 1 required and slot 2 optional; every change
 * takes a reason and leaves a custodian_changes row (保管人異動紀錄) and an audit row.
 */
export function createCustodians(deps: ItemDeps) {
  const { db } = deps;
  const slots = createSlots(deps, {
    owners: "items",
    custodians: "item_custodians",
    changes: "custodian_changes",
    owner: "item_id",
    auditAction: "item.custodian",
    auditTarget: "item",
  });

  /**
   * Sets slot 1 or 2 to a person of the managing agency, or empties slot 2 (accountId ""),
   * with a reason. Slot 1 can be handed over but never emptied.
   */
  async function setCustodian(actor: Actor, kind: ItemKind, itemId: IdParam, input: CustodianChangeInput) {
    const item = await manageableItem(db, actor, kind, itemId);
    await slots.setCustodian(actor, item, holderLabels[kind], input);
  }

  /** 保管人異動紀錄, newest first, filtered by 執行時間, 10 a page. */
  async function changeLog(actor: Actor, kind: ItemKind, itemId: IdParam, raw: RecordFilterInput) {
    const filter = parseInput(recordFilter, raw);
    const item = await manageableItem(db, actor, kind, itemId);
    return slots.changeLog(item.id, filter);
  }

  /** The whole filtered change log as a streamed .xlsx (EXP). Scope is checked before the first byte. */
  async function exportChangeLog(actor: Actor, kind: ItemKind, itemId: IdParam, raw: RecordFilterInput) {
    const filter = parseInput(recordFilter, raw);
    const item = await manageableItem(db, actor, kind, itemId);
    return slots.exportChangeLog(item.id, filter, {
      holder: holderLabels[kind],
      ownerLabel: kindLabels[kind],
      ownerName: item.name,
    });
  }

  return {
    setCustodian,
    changeLog,
    exportChangeLog,
  };
}
