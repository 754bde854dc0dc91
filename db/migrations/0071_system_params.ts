import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// PRT-5 系統參數管理 (issue 12): the definitions live in code (bff/params/registry.ts); the
// table keeps the values admins set. `value` is already jsonb, so numbers, dates (a string
// or null) and text fit as they are. `version` lets the page refuse a save drawn from a
// stale form instead of losing another admin's change.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE system_params ADD COLUMN version int NOT NULL DEFAULT 1 CHECK (version >= 0);
COMMENT ON TABLE system_params IS 'PRT-5 values set by system admins; definitions, ranges and defaults in bff/params/registry.ts';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE system_params DROP COLUMN version;`).execute(db);
}
