import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { mailQuota } from "./data.js";
import type { AccountDeps, AccountRef } from "./deps.js";
import { custodyOf } from "./guards.js";
import { adminView } from "./target.js";

/** ACC-12: everything the account's page shows, whatever its tab. */
export async function accountDetail(deps: AccountDeps, actor: Actor, ref: AccountRef) {
  const { db } = deps;
  const account = await adminView(deps, actor, ref);
  const [quota, units, custody, pending] = await Promise.all([
    mailQuota(db, account.agencyId),
    unitChoices(db, actor.role === "sys_admin" ? null : account.agencyId),
    custodyOf(db, account.id),
    db
      .selectFrom("scheduled_changes")
      .select(["id", "type", "execute_at", "payload"])
      .where("target_account_id", "=", account.id)
      .where("state", "=", "pending")
      .orderBy("execute_at")
      .limit(20)
      .execute(),
  ]);
  return { account, quota, units, custody, pending };
}

/**
 * The 調入單位 choices: the agency node itself (機關本部, where a person may belong) and its
 * units as paths below it (「科 › 股」), for the account's agency — every agency's for a
 * system admin, who may move a person to another agency (ACC-8).
 */
async function unitChoices(db: Database, agencyId: number | null) {
  let q = db
    .selectFrom("org_nodes")
    .select(["id", "name", "parent_id", "kind", "agency_id"])
    .where("active", "=", true)
    .orderBy("sort")
    .orderBy("id");
  if (agencyId !== null) q = q.where("agency_id", "=", agencyId);
  const nodes = await q.execute();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const path = (id: number): string => {
    const n = byId.get(id);
    if (!n || n.kind === "agency") return "";
    const up = n.parent_id ? path(n.parent_id) : "";
    return up ? `${up} › ${n.name}` : n.name;
  };
  const agencyName = (id: number) => byId.get(id)?.name ?? "";
  const choices = nodes.map((n) => ({
    id: n.id,
    agencyId: n.agency_id,
    agencyName: agencyName(n.agency_id),
    isAgency: n.kind === "agency",
    path: n.kind === "agency" ? `${n.name}（機關本部）` : path(n.id),
  }));
  // Grouped by agency (in the agencies' order), each agency's own node first, then its units.
  const agencies = choices.filter((c) => c.isAgency).map((c) => c.agencyId);
  return agencies.flatMap((id) =>
    choices.filter((c) => c.agencyId === id).sort((a, b) => Number(b.isAgency) - Number(a.isAgency)),
  );
}
