import type { Database } from "../../db/index.js";

/** The enabled agency admins (機關管理者) of an agency: who reviews its applications and hears of its people. */
export async function agencyAdminIds(db: Database, agencyId: number): Promise<number[]> {
  const rows = await db
    .selectFrom("accounts as a")
    .innerJoin("org_nodes as u", "u.id", "a.unit_id")
    .select("a.id")
    .where("u.agency_id", "=", agencyId)
    .where("a.role", "=", "agency_admin")
    .where("a.status", "=", "enabled")
    .execute();
  return rows.map((r) => r.id);
}
