import { type ExpressionBuilder, sql } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../actor.js";

type ItemsEb = ExpressionBuilder<DB & { i: DB["items"] }, "i">;

/**
 * Who may see and book an item (ITM, 是否公開 / 允許借用機關), as a filter on `items as i`:
 * - its custodians, a system admin, and the admins of its managing agency, always;
 * - if public: everyone (全府), the managing agency's staff (僅限機關同仁: subordinate
 *   agencies excluded, since a person's agency is the nearest one above them), or those
 *   plus the listed agencies (開放機關同仁及其他機關人員);
 * - if not public: nobody else.
 */
export function bookableBy(actor: Actor) {
  return (eb: ItemsEb) => {
    const holds = eb.exists(
      eb
        .selectFrom("item_custodians as ic")
        .select(sql`1`.as("one"))
        .whereRef("ic.item_id", "=", "i.id")
        .where("ic.account_id", "=", actor.accountId),
    );
    const listed = eb.exists(
      eb
        .selectFrom("item_allowed_agencies as ia")
        .select(sql`1`.as("one"))
        .whereRef("ia.item_id", "=", "i.id")
        .where("ia.agency_id", "=", actor.agencyId),
    );
    const publicAccess = eb.and([
      eb("i.is_public", "=", true),
      eb.or([
        eb("i.borrow_scope", "=", "all"),
        eb("i.agency_id", "=", actor.agencyId),
        eb.and([eb("i.borrow_scope", "=", "listed"), listed]),
      ]),
    ]);
    const alwaysAccess =
      actor.role === "sys_admin"
        ? [eb.lit(true)]
        : actor.role === "agency_admin"
          ? [holds, eb("i.agency_id", "=", actor.agencyId)]
          : [holds];
    return eb.and([eb("i.deleted_at", "is", null), eb.or([publicAccess, ...alwaysAccess])]);
  };
}

/** The items the actor holds as custodian (or manager, for drivers). */
export function heldBy(actor: Actor) {
  return (eb: ItemsEb) =>
    eb.and([
      eb("i.deleted_at", "is", null),
      eb.exists(
        eb
          .selectFrom("item_custodians as ic")
          .select(sql`1`.as("one"))
          .whereRef("ic.item_id", "=", "i.id")
          .where("ic.account_id", "=", actor.accountId),
      ),
    ]);
}
