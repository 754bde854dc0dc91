import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// ACC-1/2/3/6/7/8/13 applications and e-mail codes (issue 6).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- ACC-1/2/6 and forgot password: a 6-digit code mailed to a backup address. Only an HMAC of
-- the code is kept; once proved, the row carries a short-lived proof (also only a hash)
-- that the next form posts back. Rows are written whether or not the address belongs to
-- anyone, so the per-address and per-IP limits count the same either way.
CREATE TABLE email_codes (
  id                bigserial PRIMARY KEY,
  purpose           text NOT NULL CHECK (purpose IN ('apply', 'edit', 'reactivate', 'reset')),
  email             text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
  account_id        integer REFERENCES accounts(id) ON DELETE CASCADE,
  code_hash         text NOT NULL,
  attempts          integer NOT NULL DEFAULT 0,
  ip                text NOT NULL DEFAULT '',
  created_at        timestamptz NOT NULL,
  expires_at        timestamptz NOT NULL,
  verified_at       timestamptz,
  proof_hash        text UNIQUE,
  proof_expires_at  timestamptz,
  proof_used_at     timestamptz
);
CREATE INDEX email_codes_email ON email_codes (email, created_at DESC);
CREATE INDEX email_codes_ip ON email_codes (ip, created_at DESC);

-- ACC-13 個人公務帳號審核: activation (a new account), reactivation, agency change and
-- role change. agency_id is the agency whose admins review it (for an agency change, the
-- NEW agency). A new account exists only from approval on (account_id set then).
CREATE TABLE account_applications (
  id                    serial PRIMARY KEY,
  type                  text NOT NULL CHECK (type IN ('activation', 'reactivation', 'agency_change', 'role_change')),
  status                text NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'scheduled', 'approved', 'rejected')),
  account_id            integer REFERENCES accounts(id),
  agency_id             integer NOT NULL REFERENCES org_nodes(id),
  unit_id               integer NOT NULL REFERENCES org_nodes(id),
  username              text NOT NULL CHECK (username ~ '^[a-z0-9._-]{1,20}$'),
  name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  title                 text NOT NULL DEFAULT '' CHECK (length(title) <= 50),
  office_phone          text NOT NULL DEFAULT '' CHECK (length(office_phone) <= 30),
  office_ext            text NOT NULL DEFAULT '' CHECK (length(office_ext) <= 10),
  work_address          text NOT NULL DEFAULT '' CHECK (length(work_address) <= 200),
  needs_official_mail   boolean NOT NULL DEFAULT false,
  backup_email          text CHECK (length(backup_email) <= 254),
  requested_role        text CHECK (requested_role IN ('agency_admin')),
  reason                text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  submitted_at          timestamptz NOT NULL,
  updated_at            timestamptz NOT NULL,
  decided_by            integer REFERENCES accounts(id),
  decided_at            timestamptz,
  decision_comment      text,
  effective_at          timestamptz,
  scheduled_change_id   bigint REFERENCES scheduled_changes(id),
  activation_token_hash text UNIQUE,
  activation_expires_at timestamptz,
  activated_at          timestamptz,
  CHECK ((type = 'role_change') = (requested_role IS NOT NULL))
);
CREATE INDEX account_applications_queue ON account_applications (agency_id, submitted_at DESC, id DESC);
CREATE INDEX account_applications_pending ON account_applications (agency_id) WHERE status = 'pending';
CREATE INDEX account_applications_account ON account_applications (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX account_applications_email ON account_applications (lower(backup_email)) WHERE status = 'pending';
CREATE INDEX account_applications_search ON account_applications
  USING gin ((username || ' ' || name || ' ' || title) gin_trgm_ops);
-- One open new-account application per username: a second applicant is told at once.
CREATE UNIQUE INDEX account_applications_username_open ON account_applications (username)
  WHERE type = 'activation' AND status IN ('pending', 'scheduled');
-- One open application of each kind per account.
CREATE UNIQUE INDEX account_applications_account_open ON account_applications (account_id, type)
  WHERE account_id IS NOT NULL AND status IN ('pending', 'scheduled');
`,
    )
    .execute(db);
}
