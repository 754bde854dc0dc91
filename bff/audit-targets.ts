import type { Database } from "../db/index.js";
import { auditTargetLabel } from "./audit-labels.js";

type Named = { id: string; name: string };

/** How to find the name of each kind of audit target (by its target_id); kinds absent here show no name. */
const nameQueries: Record<string, (db: Database, ids: string[]) => Promise<Named[]>> = {
  account: (db, ids) => byNumericId(db, "accounts", "name", ids),
  account_application: (db, ids) => byNumericId(db, "account_applications", "name", ids),
  item: (db, ids) => byNumericId(db, "items", "name", ids),
  repair_type: (db, ids) => byNumericId(db, "repair_types", "name", ids),
  shared_account: (db, ids) => byNumericId(db, "shared_accounts", "name", ids),
  sso_application: (db, ids) => byNumericId(db, "sso_applications", "system_name", ids),
  app_list_entry: (db, ids) => byNumericId(db, "app_list_entries", "label", ids),
  oidc_client: (db, ids) =>
    db.selectFrom("oidc_clients").select(["client_id as id", "name"]).where("client_id", "in", ids).execute(),
};

type NamedTable =
  | "accounts"
  | "account_applications"
  | "items"
  | "repair_types"
  | "shared_accounts"
  | "sso_applications"
  | "app_list_entries";

async function byNumericId(db: Database, table: NamedTable, column: string, ids: string[]): Promise<Named[]> {
  const numeric = ids.filter((x) => /^\d{1,15}$/.test(x)).map(Number);
  if (numeric.length === 0) return [];
  const rows = await db
    .selectFrom(table)
    .select(["id", `${column} as name` as any])
    .where("id", "in", numeric)
    .execute();
  return (rows as { id: number; name: string }[]).map((r) => ({ id: String(r.id), name: r.name }));
}

/**
 * Audit rows' targets as zh-TW text 「帳號申請 #5（陳新人）」, one query per kind on the page
 * (a page holds at most a few dozen rows).
 */
export async function describeTargets<R extends { target_type: string; target_id: string }>(
  db: Database,
  rows: R[],
): Promise<(R & { target: string })[]> {
  const names = new Map<string, string>();
  const kinds = [...new Set(rows.map((r) => r.target_type))];
  await Promise.all(
    kinds.map(async (kind) => {
      const q = nameQueries[kind];
      if (!q) return;
      const ids = [...new Set(rows.filter((r) => r.target_type === kind).map((r) => r.target_id))];
      for (const n of await q(db, ids)) names.set(`${kind}:${n.id}`, n.name);
    }),
  );
  return rows.map((r) => ({
    ...r,
    target: auditTargetLabel(r.target_type, r.target_id, names.get(`${r.target_type}:${r.target_id}`)),
  }));
}
