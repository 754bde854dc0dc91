import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 13 item 3: a job that calls out (mail, SMS, push, AD) is claimed with a lease in a
// short committed transaction, the call runs with no transaction open, and the result is
// recorded in a second one. 'running' + locked_by/locked_until is that lease; a crashed
// worker's lease runs out and another worker takes the job. serial_key keeps jobs that
// must not overlap apart (one AD job per account): at most one running job per key, held by
// the database itself. Expand-only: an older release never writes these columns and keeps
// claiming 'pending' jobs as before.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
  CHECK (state IN ('pending', 'running', 'done', 'dead', 'cancelled'));
ALTER TABLE jobs ADD COLUMN locked_by text;
ALTER TABLE jobs ADD COLUMN locked_until timestamptz;
ALTER TABLE jobs ADD COLUMN serial_key text;
ALTER TABLE jobs ADD CONSTRAINT jobs_lease_check
  CHECK (state <> 'running' OR (locked_by IS NOT NULL AND locked_until IS NOT NULL));
CREATE UNIQUE INDEX jobs_one_running_per_serial_key ON jobs (serial_key) WHERE state = 'running';
CREATE INDEX jobs_lease_expiry ON jobs (locked_until) WHERE state = 'running';
UPDATE jobs SET serial_key = 'ad-account:' || (payload->>'accountId')
  WHERE kind IN ('directory.sync-account', 'directory.set-password') AND state = 'pending';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
UPDATE jobs SET state = 'pending' WHERE state = 'running';
DROP INDEX jobs_lease_expiry, jobs_one_running_per_serial_key;
ALTER TABLE jobs DROP CONSTRAINT jobs_lease_check;
ALTER TABLE jobs DROP COLUMN serial_key, DROP COLUMN locked_until, DROP COLUMN locked_by;
ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check CHECK (state IN ('pending', 'done', 'dead', 'cancelled'));
`,
    )
    .execute(db);
}
