import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// ACC-9/16 scheduled changes (issue 6).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- Every 預約生效 change: what, about whom, when, and how it ended. A job carries it out.
CREATE TABLE scheduled_changes (
  id                 bigserial PRIMARY KEY,
  type               text NOT NULL,
  target_account_id  integer NOT NULL REFERENCES accounts(id),
  agency_id          integer NOT NULL REFERENCES org_nodes(id),
  execute_at         timestamptz NOT NULL,
  payload            jsonb NOT NULL DEFAULT '{}',
  state              text NOT NULL DEFAULT 'pending'
                     CHECK (state IN ('pending', 'done', 'failed', 'cancelled')),
  result             text,
  created_by         integer NOT NULL REFERENCES accounts(id),
  created_at         timestamptz NOT NULL,
  cancelled_by       integer REFERENCES accounts(id),
  finished_at        timestamptz
);
CREATE INDEX scheduled_changes_agency ON scheduled_changes (agency_id, execute_at DESC);
CREATE INDEX scheduled_changes_target ON scheduled_changes (target_account_id) WHERE state = 'pending';
`,
    )
    .execute(db);
}
