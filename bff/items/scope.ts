import { type ExpressionBuilder, sql } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../actor.js";

type ItemsEb = ExpressionBuilder<DB & { i: DB["items"] }, "i">;

/**
 * The items the actor may manage (物品管理: edit, delete, custodians, records), as a filter
 * on `items as i`: a system admin all; an agency admin their own agency's (decision: the
 * managing agency's admin may edit and delete too, not only the custodians, so an item
 * never becomes orphaned when its custodians leave); anyone else what they hold as
 * custodian (保管人) or manager (管理人). Deleted items are gone for everyone.
 */
export function manageableBy(actor: Actor) {
  return (eb: ItemsEb) => {
    const live = eb("i.deleted_at", "is", null);
    if (actor.role === "sys_admin") return live;
    const holds = eb.exists(
      eb
        .selectFrom("item_custodians as ic")
        .select(sql`1`.as("one"))
        .whereRef("ic.item_id", "=", "i.id")
        .where("ic.account_id", "=", actor.accountId),
    );
    if (actor.role === "agency_admin") return eb.and([live, eb.or([eb("i.agency_id", "=", actor.agencyId), holds])]);
    return eb.and([live, holds]);
  };
}

/** Only agency admins (for their own agency) and system admins create items (ITM). */
export const canCreate = (actor: Actor) => actor.role === "sys_admin" || actor.role === "agency_admin";

/** The agencies the actor may name as 管理機關 when creating: all, or their own. */
export const mayManageAgency = (actor: Actor, agencyId: number) =>
  actor.role === "sys_admin" || (actor.role === "agency_admin" && actor.agencyId === agencyId);
