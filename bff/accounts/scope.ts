import type { SelectQueryBuilder } from "kysely";
import type { DB } from "../../db/schema.js";
import type { Actor } from "../actor.js";

/**
 * Limits an accounts query (aliased `a`, joined to its unit as `u`) to what the actor may
 * see: a system admin everything, an agency admin their own agency (subordinate agencies
 * excluded, ORG-1), anyone else only themselves.
 */
export function scopeAccounts<O>(
  q: SelectQueryBuilder<DB & { a: DB["accounts"]; u: DB["org_nodes"] }, "a" | "u", O>,
  actor: Actor,
) {
  if (actor.role === "sys_admin") return q;
  if (actor.role === "agency_admin") return q.where("u.agency_id", "=", actor.agencyId);
  return q.where("a.id", "=", actor.accountId);
}
