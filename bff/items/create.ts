import type { ItemKind } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { personOfAgency } from "../custodians/slots.js";
import { DomainError, notFound } from "../errors.js";
import { parseInput } from "../validation.js";
import { checkRefs, columnsOf, insertListed, plateTaken } from "./columns.js";
import type { ItemDeps } from "./deps.js";
import { holderLabels, type ItemFormInput, itemCreate, kindLabels } from "./schemas.js";
import { canCreate, mayManageAgency } from "./scope.js";

/** ITM: only agency admins (their own agency) and system admins create; slot 1 is required. */
export function createCreate(deps: ItemDeps) {
  const { db, clock } = deps;

  async function create(actor: Actor, kind: ItemKind, raw: ItemFormInput): Promise<{ id: number; name: string }> {
    if (!canCreate(actor)) throw notFound();
    const now = clock.now();
    const v = parseInput(itemCreate(kind, now), raw);
    const holder = holderLabels[kind];
    if (!mayManageAgency(actor, v.agencyId))
      throw new DomainError("invalid", "請修正標示的欄位。", { agencyId: `您只能新增本機關的${kindLabels[kind]}` });
    const slots = [
      [1, v.custodian1],
      [2, v.custodian2],
    ] as const;

    try {
      return await inTransaction(db, async (trx) => {
        const listed = await checkRefs(trx, kind, v, v.agencyId);
        const people: Record<string, string> = {};
        for (const [slot, id] of slots) {
          if (id !== null && !(await personOfAgency(trx, id, v.agencyId)))
            people[`custodian${slot}`] = `${holder}須為管理機關的在職同仁`;
        }
        if (Object.keys(people).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", people);
        const row = await trx
          .insertInto("items")
          .values({
            kind,
            agency_id: v.agencyId,
            ...columnsOf(v),
            deleted_at: null,
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await insertListed(trx, row.id, listed);
        for (const [slot, accountId] of slots) {
          if (accountId === null) continue;
          await trx.insertInto("item_custodians").values({ item_id: row.id, slot, account_id: accountId }).execute();
          await trx
            .insertInto("custodian_changes")
            .values({
              item_id: row.id,
              slot,
              from_account_id: null,
              to_account_id: accountId,
              reason: `新增${kindLabels[kind]}時設定`,
              actor_id: actor.accountId,
              at: now,
            })
            .execute();
        }
        await writeAudit(trx, actor, now, {
          action: "item.create",
          targetType: "item",
          targetId: row.id,
          detail: { kind, name: v.name, agencyId: v.agencyId, custodians: [v.custodian1, v.custodian2] },
        });
        return { id: row.id, name: v.name };
      });
    } catch (e) {
      throw plateTaken(e) ?? e;
    }
  }

  return { create };
}
