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
    agencyUnits(db, account.agencyId),
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

/** The units of an agency, as paths below it (「科 › 股」), for the 調入單位 picker. */
async function agencyUnits(db: Database, agencyId: number) {
  const nodes = await db
    .selectFrom("org_nodes")
    .select(["id", "name", "parent_id", "kind", "sort"])
    .where("agency_id", "=", agencyId)
    .where("active", "=", true)
    .orderBy("sort")
    .orderBy("id")
    .execute();
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const path = (id: number): string => {
    const n = byId.get(id);
    if (!n || n.kind === "agency") return "";
    const up = n.parent_id ? path(n.parent_id) : "";
    return up ? `${up} › ${n.name}` : n.name;
  };
  return nodes.filter((n) => n.kind === "unit").map((n) => ({ id: n.id, path: path(n.id) }));
}
