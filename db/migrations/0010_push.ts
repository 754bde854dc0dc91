import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- NTF-1: one row per device a person turned notifications on for.
CREATE TABLE push_subscriptions (
  id              serial PRIMARY KEY,
  account_id      int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  endpoint        text NOT NULL UNIQUE CHECK (endpoint ~ '^https?://' AND length(endpoint) <= 2000),
  p256dh          text NOT NULL CHECK (length(p256dh) BETWEEN 40 AND 200),
  auth            text NOT NULL CHECK (length(auth) BETWEEN 16 AND 64),
  device_label    text NOT NULL DEFAULT '',
  created_at      timestamptz NOT NULL,
  last_success_at timestamptz,
  last_failure_at timestamptz
);
CREATE INDEX push_subscriptions_account ON push_subscriptions (account_id);

-- Keys the portal makes once and keeps (VAPID for web push).
CREATE TABLE app_keys (
  name        text PRIMARY KEY,
  value       jsonb NOT NULL,
  created_at  timestamptz NOT NULL
);

-- BKG-5: single-use, expiring tokens that let a notification's 核准/駁回 act without a
-- session, bound to one reviewer and one request. Only the hash is stored.
CREATE TABLE decision_tokens (
  id           text PRIMARY KEY,
  kind         text NOT NULL,
  target_id    int NOT NULL,
  reviewer_id  int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz,
  created_at   timestamptz NOT NULL
);
CREATE INDEX decision_tokens_target ON decision_tokens (kind, target_id);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE decision_tokens, app_keys, push_subscriptions;`).execute(db);
}
