import type { Database } from "../../db/index.js";
import { sharedAccountsHeldBy } from "../shared-accounts/custody.js";
import { agencyAdminIds } from "./agency-admins.js";

/** One thing that keeps an account from being disabled, and where to fix it. */
export interface DisableBlock {
  accountId: number;
  username: string;
  name: string;
  rule: "only_admin" | "custody";
  /** zh-TW: what is wrong and what to do first. */
  message: string;
  /** Where to reassign (the account's 帳號狀態 tab, which lists custody and role). */
  fixUrl: string;
}

export interface Custody {
  kind: "venue" | "car" | "driver" | "repair_type" | "shared_account";
  /** The owner's id in its own table (item, repair type, shared account). */
  id: number;
  name: string;
  /** Slot 1 or 2 for items and repair types; null for a shared account. */
  slot: number | null;
  agencyId: number;
}

export const custodyKindText: Record<Custody["kind"], string> = {
  venue: "場地",
  car: "公務車",
  driver: "派遣司機",
  repair_type: "報修類型",
  shared_account: "機關及郵件系統帳號",
};

/** ACC-4: the agency/mail/system accounts a person holds (bff/shared-accounts owns them). */
async function sharedAccountCustody(db: Database, accountId: number): Promise<Custody[]> {
  const held = await sharedAccountsHeldBy(db, accountId);
  const agencies = await db
    .selectFrom("shared_accounts")
    .select(["id", "agency_id"])
    .where("id", "in", held.map((h) => h.id).concat([-1]))
    .execute();
  const agencyOf = new Map(agencies.map((a) => [a.id, a.agency_id]));
  return held.map((h) => ({
    kind: "shared_account" as const,
    id: h.id,
    name: `${h.name}（${h.username}）`,
    slot: null,
    agencyId: agencyOf.get(h.id) ?? 0,
  }));
}

/** Everything a person holds in custody: items (live ones), repair types and shared accounts. */
export async function custodyOf(db: Database, accountId: number): Promise<Custody[]> {
  const [items, types, shared] = await Promise.all([
    db
      .selectFrom("item_custodians as ic")
      .innerJoin("items as i", "i.id", "ic.item_id")
      .select(["i.id", "i.kind", "i.name", "ic.slot", "i.agency_id as agencyId"])
      .where("ic.account_id", "=", accountId)
      .where("i.deleted_at", "is", null)
      .orderBy("i.kind")
      .orderBy("i.name")
      .execute(),
    db
      .selectFrom("repair_type_custodians as rc")
      .innerJoin("repair_types as rt", "rt.id", "rc.type_id")
      .select(["rt.id", "rt.name", "rc.slot", "rt.agency_id as agencyId"])
      .where("rc.account_id", "=", accountId)
      .orderBy("rt.name")
      .execute(),
    sharedAccountCustody(db, accountId),
  ]);
  return [
    ...shared,
    ...items.map((i) => ({ kind: i.kind, id: i.id, name: i.name, slot: i.slot, agencyId: i.agencyId })),
    ...types.map((t) => ({ kind: "repair_type" as const, id: t.id, name: t.name, slot: t.slot, agencyId: t.agencyId })),
  ];
}

/**
 * Why a person leaves (ACC-4/8/12): disabled (停用), moved to another agency (機關異動) or
 * demoted from 機關管理者. Each is refused by the same rules; only the closing words of the
 * message differ, and a demotion keeps custody (a user may hold items).
 */
export type LeaveKind = "disable" | "move" | "demote";

const leaveThen: Record<LeaveKind, string> = {
  disable: "再停用此帳號",
  move: "再調離本機關",
  demote: "再變更其權限",
};

/**
 * ACC-4 guards, for a set of accounts disabled together (a batch, one account, or the idle
 * job): nobody may leave their agency without an enabled agency admin — counted over the
 * whole set, so disabling both of two admins is refused — and nobody may still hold custody.
 * Returns every block found (empty: all may be disabled).
 */
export function disableBlocks(db: Database, accountIds: number[]): Promise<DisableBlock[]> {
  return leaveBlocks(db, accountIds, "disable");
}

/**
 * The ACC-4 guards for any way of leaving (LeaveKind): the only-admin rule over the whole
 * set, then custody (except for a demotion). The caller locks the agencies first
 * (status.ts `lockAgenciesOf`) where two concurrent changes could each pass alone.
 */
export async function leaveBlocks(db: Database, accountIds: number[], kind: LeaveKind): Promise<DisableBlock[]> {
  if (accountIds.length === 0) return [];
  const targets = await db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select(["a.id", "a.username", "a.name", "a.role", "a.status", "u.agency_id as agencyId"])
    .where("a.id", "in", accountIds)
    .execute();
  const then = leaveThen[kind];
  const blocks: DisableBlock[] = [];
  const fixUrl = (id: number) => `/admin/accounts/${id}?tab=status`;
  const isAdmin = (t: (typeof targets)[number]) => t.role === "agency_admin" && t.status === "enabled";

  for (const agencyId of new Set(targets.filter(isAdmin).map((t) => t.agencyId))) {
    const remaining = (await agencyAdminIds(db, agencyId)).filter((id) => !accountIds.includes(id));
    if (remaining.length > 0) continue;
    for (const t of targets.filter((x) => x.agencyId === agencyId && isAdmin(x)))
      blocks.push({
        accountId: t.id,
        username: t.username,
        name: t.name,
        rule: "only_admin",
        message: `${t.name}（${t.username}）是機關唯一的機關管理者，請先指派同機關的其他同仁為機關管理者，${then}。`,
        fixUrl: fixUrl(t.id),
      });
  }
  if (kind === "demote") return blocks;

  for (const t of targets) {
    const held = await custodyOf(db, t.id);
    if (held.length === 0) continue;
    const what = held
      .slice(0, 3)
      .map((h) => `${custodyKindText[h.kind]}「${h.name}」`)
      .join("、");
    blocks.push({
      accountId: t.id,
      username: t.username,
      name: t.name,
      rule: "custody",
      message: `${t.name}（${t.username}）仍保管${what}${held.length > 3 ? ` 等 ${held.length} 項` : ""}，請先移轉給同機關的同仁，${then}。`,
      fixUrl: fixUrl(t.id),
    });
  }
  return blocks;
}
