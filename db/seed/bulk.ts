import { sql } from "kysely";
import type { Database } from "../index.js";

/**
 * Bulk data for benchmarks: `agencies` agencies of 5 units each and `accounts` accounts
 * spread over them, generated inside PostgreSQL (one INSERT … SELECT generate_series), all
 * sharing one password hash. Usernames are b<N> so they never collide with the demo seed.
 */
export async function generateBulk(
  db: Database,
  opts: { accounts: number; agencies: number; passwordHash: string; now: Date },
): Promise<{ agencyIds: number[]; unitIds: number[] }> {
  return db.transaction().execute(async (trx) => {
    const run = Date.now().toString(36);
    const agencyIds: number[] = [];
    const unitIds: number[] = [];
    for (let i = 0; i < opts.agencies; i++) {
      const agency = await trx
        .insertInto("org_nodes")
        .values({ kind: "agency", name: `壓測機關${run}-${i + 1}`, parent_id: null, code: null, mail_quota: 100 })
        .returning("id")
        .executeTakeFirstOrThrow();
      agencyIds.push(agency.id);
      for (let u = 0; u < 5; u++) {
        const unit = await trx
          .insertInto("org_nodes")
          .values({ kind: "unit", name: `第${u + 1}科`, parent_id: agency.id, code: null, mail_quota: null })
          .returning("id")
          .executeTakeFirstOrThrow();
        unitIds.push(unit.id);
      }
    }
    const surnames = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾";
    await sql`
      INSERT INTO accounts (username, name, title, unit_id, role, status, password_hash, password_changed_at, needs_official_mail)
      SELECT
        'b' || ${run} || '.' || g,
        substr(${surnames}, (g % 16) + 1, 1) || '測試' || g,
        (ARRAY['科員','專員','科長','技士','約聘人員'])[(g % 5) + 1],
        (${sql.val(unitIds)}::int[])[(g % ${unitIds.length}) + 1],
        CASE WHEN g % 500 = 0 THEN 'agency_admin' ELSE 'user' END,
        CASE WHEN g % 50 = 0 THEN 'disabled' ELSE 'enabled' END,
        ${opts.passwordHash},
        ${opts.now}::timestamptz - (g % 120) * interval '1 day',
        g % 3 = 0
      FROM generate_series(1, ${opts.accounts}) AS g`.execute(trx);
    return { agencyIds, unitIds };
  });
}
