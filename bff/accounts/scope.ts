import type { SelectQueryBuilder } from "kysely";
import type { Actor } from "../actor.js";

/**
 * Limits an accounts query (accounts aliased `a`, joined to its unit as `u`) to what the
 * actor may see: a system admin everything, an agency admin their own agency (subordinate
 * agencies excluded, ORG-1), anyone else only themselves.
 */
export function scopeAccounts<Q extends SelectQueryBuilder<any, any, any>>(q: Q, actor: Actor): Q {
  if (actor.role === "sys_admin") return q;
  if (actor.role === "agency_admin") return q.where("u.agency_id", "=", actor.agencyId) as Q;
  return q.where("a.id", "=", actor.accountId) as Q;
}
