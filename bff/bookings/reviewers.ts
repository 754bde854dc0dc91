import { type RawBuilder, sql } from "kysely";
import type { Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";

/** Who is asked: an account id, its role and its agency — values, or columns of a candidates query. */
interface Reviewer {
  id: RawBuilder<unknown>;
  role: RawBuilder<unknown>;
  agencyId: RawBuilder<unknown>;
}

/**
 * BKG-3, issue 18: who decides a booking (on `bookings as b` joined to `items as i`). Nobody
 * decides their own request. The item's custodians decide; a request with no other enabled
 * custodian goes to the admins of the item's agency, and when none of them is someone else
 * either (the applicant is the sole admin), to the system admins. One SQL rule serves the
 * review list, the inbox, the decision's own check and who is notified, so they cannot disagree.
 */
function reviewerRule(who: Reviewer) {
  const otherCustodian = sql`exists (
    select 1 from item_custodians oc join accounts oca on oca.id = oc.account_id
    where oc.item_id = i.id and oc.account_id <> b.applicant_id and oca.status = 'enabled')`;
  const otherAgencyAdmin = sql`exists (
    select 1 from accounts aa join org_nodes au on au.id = aa.unit_id
    where aa.role = 'agency_admin' and aa.status = 'enabled' and au.agency_id = i.agency_id
      and aa.id <> b.applicant_id)`;
  return sql<boolean>`(i.deleted_at is null and b.applicant_id <> ${who.id} and (
    exists (select 1 from item_custodians rc where rc.item_id = i.id and rc.account_id = ${who.id})
    or (not ${otherCustodian} and (
      (${who.role} = 'agency_admin' and ${who.agencyId} = i.agency_id)
      or (${who.role} = 'sys_admin' and not ${otherAgencyAdmin})))))`;
}

/** The bookings the actor decides, as a filter. */
export function reviewableBy(actor: Actor) {
  return () =>
    reviewerRule({
      id: sql`${actor.accountId}::int`,
      role: sql`${actor.role}::text`,
      agencyId: sql`${actor.agencyId}::int`,
    });
}

/** The enabled accounts who decide this booking: whom a new request is sent to. */
export async function reviewerIds(trx: Tx, bookingId: number): Promise<number[]> {
  const rows = await trx
    .selectFrom("bookings as b")
    .innerJoin("items as i", "i.id", "b.item_id")
    .innerJoin("accounts as r", (j) => j.on(sql<boolean>`true`))
    .innerJoin("org_nodes as ru", "ru.id", "r.unit_id")
    .select("r.id")
    .where("b.id", "=", bookingId)
    .where("r.status", "=", "enabled")
    // Only custodians and admins can be asked: the rule is not evaluated for every account.
    .where((eb) =>
      eb.or([
        eb("r.role", "in", ["agency_admin", "sys_admin"]),
        eb.exists(
          eb
            .selectFrom("item_custodians as c")
            .select("c.item_id")
            .whereRef("c.item_id", "=", "i.id")
            .whereRef("c.account_id", "=", "r.id"),
        ),
      ]),
    )
    .where(() => reviewerRule({ id: sql.ref("r.id"), role: sql`r.role::text`, agencyId: sql.ref("ru.agency_id") }))
    .orderBy("r.id")
    .execute();
  return rows.map((r) => r.id);
}
