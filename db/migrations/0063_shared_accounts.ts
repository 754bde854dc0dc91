import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// ACC-14/15 agency and mail-system accounts (issue 6).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- ACC-14: 機關帳號 / 郵件系統帳號 / 資訊系統帳號 — shared accounts that a custodian holds
-- for an agency. They are not people, so they live apart from accounts; a username is
-- still unique across both (the service checks accounts; this table checks itself).
CREATE TABLE shared_accounts (
  id                    serial PRIMARY KEY,
  type                  text NOT NULL CHECK (type IN ('agency', 'mail', 'system')),
  username              text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{1,20}$'),
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  purpose               text NOT NULL DEFAULT '' CHECK (length(purpose) <= 500),
  agency_id             int NOT NULL REFERENCES org_nodes(id),
  custodian_account_id  int NOT NULL REFERENCES accounts(id),
  -- 未啟用 until approved (ACC-15), then 啟用; 停用 by 我要停用. A rejected one stays 未啟用.
  status                text NOT NULL DEFAULT 'inactive' CHECK (status IN ('enabled', 'disabled', 'inactive')),
  login_permission      text NOT NULL DEFAULT 'normal' CHECK (login_permission IN ('normal', 'locked')),
  failed_login_count    int NOT NULL DEFAULT 0,
  locked_at             timestamptz,
  review_status         text NOT NULL DEFAULT 'pending' CHECK (review_status IN ('pending', 'approved', 'rejected')),
  reviewed_by           int REFERENCES accounts(id),
  reviewed_at           timestamptz,
  review_note           text CHECK (length(review_note) <= 500),
  -- argon2id; NULL until approved (the first password is mailed to the custodian).
  password_hash         text,
  password_changed_at   timestamptz,
  last_login_at         timestamptz,
  applied_by            int NOT NULL REFERENCES accounts(id),
  created_at            timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL
);
CREATE INDEX shared_accounts_agency ON shared_accounts (agency_id, id DESC);
CREATE INDEX shared_accounts_custodian ON shared_accounts (custodian_account_id);
CREATE INDEX shared_accounts_review ON shared_accounts (agency_id, review_status);
CREATE INDEX shared_accounts_search ON shared_accounts
  USING gin ((username || ' ' || name || ' ' || purpose) gin_trgm_ops);

-- ACC-14 change logs: 資料異動紀錄 (kind 'data': custodian, password reset …) and
-- 帳號狀態異動紀錄 (kind 'status'). Who, when, what, before -> after.
CREATE TABLE shared_account_changes (
  id                 bigserial PRIMARY KEY,
  shared_account_id  int NOT NULL REFERENCES shared_accounts(id) ON DELETE CASCADE,
  kind               text NOT NULL CHECK (kind IN ('data', 'status')),
  field              text NOT NULL,
  before             text NOT NULL DEFAULT '',
  after              text NOT NULL DEFAULT '',
  reason             text NOT NULL DEFAULT '',
  changed_by         int REFERENCES accounts(id) ON DELETE SET NULL,
  at                 timestamptz NOT NULL
);
CREATE INDEX shared_account_changes_account ON shared_account_changes (shared_account_id, kind, at DESC);
`,
    )
    .execute(db);
}
