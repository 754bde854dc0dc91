import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 13 item 4: each running jobs worker writes its heartbeat here; /readyz (app server
// with WORKER=inline, or `npm run worker`'s own listener) is ready only while it is fresh.
// Expand-only (ADR 21): a new table, so the previous release runs on with it in place.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE worker_heartbeats (
  worker_id   text PRIMARY KEY,
  host        text NOT NULL,
  pid         integer NOT NULL,
  started_at  timestamptz NOT NULL,
  beat_at     timestamptz NOT NULL
);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE worker_heartbeats;`).execute(db);
}
