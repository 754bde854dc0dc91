import { sql, type Kysely } from "kysely";

// Frozen in time: never import application code here.
// IDN-5 Active Directory sync: per-account sync state for the AD admin page (issue 5).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE directory_sync_state (
  account_id          integer PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  dn                  text,
  linked_at           timestamptz,
  synced_at           timestamptz,
  sync_error          text,
  sync_error_ldap     text,
  sync_error_at       timestamptz,
  password_synced_at  timestamptz,
  password_error      text,
  password_error_at   timestamptz,
  updated_at          timestamptz NOT NULL
);

-- The queue finds an account's pending AD jobs (coalescing, superseded passwords) by this.
-- The kinds are listed (not LIKE 'directory.%'): only then can the planner prove that
-- kind = 'directory.sync-account' falls inside the partial index.
CREATE INDEX jobs_directory_pending ON jobs (kind, ((payload->>'accountId')))
  WHERE state = 'pending' AND kind IN ('directory.sync-account', 'directory.set-password');
`,
    )
    .execute(db);
}
