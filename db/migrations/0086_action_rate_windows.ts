import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 14 item 2 (ADR 0024): per-account counts of an action in fixed time windows (e.g.
// 「傳送測試通知」 at most 3 per 10 minutes), incremented atomically with
// INSERT … ON CONFLICT … RETURNING so every app server shares one count.
// Expand-only (ADR 21): a new table, so the previous release runs on with it in place.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE action_rate_windows (
  action        text NOT NULL,
  subject       text NOT NULL,
  window_start  timestamptz NOT NULL,
  count         integer NOT NULL,
  PRIMARY KEY (action, subject, window_start)
);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE action_rate_windows;`).execute(db);
}
