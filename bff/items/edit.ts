import { sql } from "kysely";
import type { ItemKind } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { type IdParam, parseInput } from "../validation.js";
import { changedColumns, checkRefs, columnsOf, insertListed, plateTaken } from "./columns.js";
import type { ItemDeps } from "./deps.js";
import { manageableItem } from "./queries.js";
import { type ItemFormInput, itemUpdate, kindLabels } from "./schemas.js";

/** ITM-1..3 編輯 and 刪除 of an item I manage. */
export function createEdit(deps: ItemDeps) {
  const { db, clock } = deps;

  /**
   * Edits an item's data. 管理機關 stays as created (decision): custodians and a car's
   * drivers belong to it, and a custodian must not move an item out of their own agency.
   */
  async function update(actor: Actor, kind: ItemKind, itemId: IdParam, raw: ItemFormInput): Promise<{ name: string }> {
    const now = clock.now();
    const v = parseInput(itemUpdate(kind, now), raw);
    const item = await manageableItem(db, actor, kind, itemId);
    try {
      await inTransaction(db, async (trx) => {
        const listed = await checkRefs(trx, kind, v, item.agency_id);
        await trx
          .updateTable("items")
          .set({ ...columnsOf(v), updated_at: now })
          .where("id", "=", item.id)
          .execute();
        await trx.deleteFrom("item_allowed_agencies").where("item_id", "=", item.id).execute();
        await insertListed(trx, item.id, listed);
        await writeAudit(trx, actor, now, {
          action: "item.update",
          targetType: "item",
          targetId: item.id,
          detail: { kind, changed: changedColumns(item, v) },
        });
      });
    } catch (e) {
      throw plateTaken(e) ?? e;
    }
    return { name: v.name };
  }

  /** Soft delete (deleted_at), refused while a future pending or approved booking holds the item. */
  async function remove(actor: Actor, kind: ItemKind, itemId: IdParam): Promise<{ name: string }> {
    const item = await manageableItem(db, actor, kind, itemId);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      await trx.selectFrom("items").select("id").where("id", "=", item.id).forUpdate().executeTakeFirst();
      const future = await trx
        .selectFrom("bookings as b")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where((eb) => eb.or([eb("b.item_id", "=", item.id), eb("b.driver_id", "=", item.id)]))
        .where("b.status", "in", ["pending", "approved"])
        .where(sql<boolean>`upper(b.during) > ${now}`)
        .executeTakeFirstOrThrow();
      if (future.n > 0) {
        const what = kind === "driver" ? "派遣" : "借用";
        throw new DomainError(
          "conflict",
          `此${kindLabels[kind]}尚有 ${future.n} 筆未結束的${what}申請（未審核或已核准），請先處理後再刪除。`,
        );
      }
      await trx.updateTable("items").set({ deleted_at: now, updated_at: now }).where("id", "=", item.id).execute();
      await writeAudit(trx, actor, now, {
        action: "item.delete",
        targetType: "item",
        targetId: item.id,
        detail: { kind, name: item.name },
      });
    });
    return { name: item.name };
  }

  return { update, remove };
}
