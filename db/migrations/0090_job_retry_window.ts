import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 15 item 3 (ADR 0028): a job that calls out retries until its retry window (24 h)
// has passed, counted from retry_from, or from created_at while retry_from is NULL. An
// admin's 重試 on a dead job sets retry_from to that moment, so the job gets a fresh window
// without rewriting when it was created. The partial index keeps the retention purge (the
// hourly housekeeping job) from reading the whole table: it holds only finished jobs whose
// payload is still there, so it shrinks as they are purged.
// Expand-only (ADR 21): a nullable column an older release never writes, and an index.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE jobs ADD COLUMN retry_from timestamptz;
CREATE INDEX jobs_payload_to_purge ON jobs (finished_at)
  WHERE state IN ('done', 'cancelled') AND payload <> '{}'::jsonb;
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX jobs_payload_to_purge; ALTER TABLE jobs DROP COLUMN retry_from;`).execute(db);
}
