import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 14 item 6: the same scheduled change cannot be queued twice. "The same" is the same
// target account, the same type of change and the same Taipei day of execute_at, while
// pending (ADR 0026). Taipei has kept UTC+8 without daylight saving since 1979, so the day is
// computed with a fixed offset: an immutable expression an index may use, and no dependence
// on the server's time-zone data.
// Pending duplicates queued before this release would stop the index being built: every one
// but the first is cancelled (with its job), its result naming the one kept.
// Expand-only (ADR 21): an index, and rows the previous release reads as ordinary cancels.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
WITH ranked AS (
  SELECT id,
         first_value(id) OVER w AS kept,
         row_number() OVER w AS n
    FROM scheduled_changes
   WHERE state = 'pending'
  WINDOW w AS (PARTITION BY target_account_id, type, ((execute_at AT TIME ZONE 'UTC' + interval '8 hours')::date)
               ORDER BY id)
), dropped AS (
  UPDATE scheduled_changes sc
     SET state = 'cancelled', finished_at = now(), result = '與編號 ' || r.kept || ' 的預約重複，系統已取消'
    FROM ranked r
   WHERE sc.id = r.id AND r.n > 1
  RETURNING sc.id
)
UPDATE jobs
   SET state = 'cancelled', updated_at = now(), finished_at = now()
 WHERE state = 'pending'
   AND idempotency_key IN (SELECT 'scheduled-change:' || id FROM dropped);

CREATE UNIQUE INDEX scheduled_changes_pending_once
  ON scheduled_changes (target_account_id, type, ((execute_at AT TIME ZONE 'UTC' + interval '8 hours')::date))
  WHERE state = 'pending';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX scheduled_changes_pending_once;`).execute(db);
}
