import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 15 items 1 and 2 (ADR 0027).
// - jobs.lane: the lane a job waits in (bff/jobs/lanes.ts); each lane has its own worker
//   slots and is claimed on its own (index jobs_lane_due). This release's enqueue always
//   names the lane; a release that knew no lanes leaves it out, and the trigger fills it from
//   the kind (the kinds such a release knows are exactly the ones below), also when such a
//   release re-queues an old finished row by UPDATE. Pending and running rows are filled here.
// - jobs.started_at: when the current (or last) attempt was claimed; finished_at is when it
//   ended. Together they show how long a job waited and how long it ran.
// - push_deliveries: one row per device a push job reached, written right after the push
//   service accepted the message, so a re-run (after a crash) sends only to the others.
// Expand-only (ADR 21): a nullable column with a trigger default, a nullable column, a new
// table; an older release neither reads nor needs them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE jobs ADD COLUMN lane text;
ALTER TABLE jobs ADD COLUMN started_at timestamptz;

CREATE FUNCTION jobs_default_lane(kind text, idempotency_key text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE
    WHEN kind IN ('signin.secret-message', 'sms.send') THEN 'urgent'
    WHEN kind = 'mail.send' AND idempotency_key LIKE 'mail:email-code:%' THEN 'urgent'
    WHEN kind IN ('push.fanout', 'push.deliver') THEN 'push'
    WHEN kind IN ('mail.send', 'shared_account.password_mail') THEN 'mail'
    WHEN kind IN ('directory.sync-account', 'directory.set-password') THEN 'directory'
    ELSE 'bulk'
  END
$$;

CREATE FUNCTION jobs_fill_lane() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.lane := jobs_default_lane(NEW.kind, NEW.idempotency_key);
  RETURN NEW;
END $$;
CREATE TRIGGER jobs_fill_lane BEFORE INSERT OR UPDATE ON jobs
  FOR EACH ROW WHEN (NEW.lane IS NULL) EXECUTE FUNCTION jobs_fill_lane();

UPDATE jobs SET lane = jobs_default_lane(kind, idempotency_key) WHERE state IN ('pending', 'running');
CREATE INDEX jobs_lane_due ON jobs (lane, run_at, id) WHERE state = 'pending';

CREATE TABLE push_deliveries (
  job_id          bigint NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  subscription_id int NOT NULL REFERENCES push_subscriptions(id) ON DELETE CASCADE,
  sent_at         timestamptz NOT NULL,
  PRIMARY KEY (job_id, subscription_id)
);
CREATE INDEX push_deliveries_subscription ON push_deliveries (subscription_id);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
DROP TABLE push_deliveries;
DROP INDEX jobs_lane_due;
DROP TRIGGER jobs_fill_lane ON jobs;
DROP FUNCTION jobs_fill_lane();
DROP FUNCTION jobs_default_lane(text, text);
ALTER TABLE jobs DROP COLUMN started_at, DROP COLUMN lane;
`,
    )
    .execute(db);
}
