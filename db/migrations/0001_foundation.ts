import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- ORG-1: one tree; every node is an agency (機關) or a unit (單位).
CREATE TABLE org_nodes (
  id          serial PRIMARY KEY,
  parent_id   int REFERENCES org_nodes(id) ON DELETE RESTRICT,
  kind        text NOT NULL CHECK (kind IN ('agency', 'unit')),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  code        text UNIQUE,
  sort        int NOT NULL DEFAULT 0,
  -- The nearest agency at or above this node; kept by the trigger below.
  agency_id   int REFERENCES org_nodes(id),
  -- ORG-2: official-mail quota, agencies only. "used" is counted, never stored.
  mail_quota  int CHECK (mail_quota >= 0),
  active      boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (kind = 'agency' OR mail_quota IS NULL),
  CHECK (kind = 'agency' OR parent_id IS NOT NULL),
  UNIQUE (parent_id, name)
);
CREATE INDEX org_nodes_parent ON org_nodes (parent_id);
CREATE INDEX org_nodes_agency ON org_nodes (agency_id);

CREATE FUNCTION org_nodes_set_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.kind = 'agency' THEN
    NEW.agency_id := NEW.id;
  ELSE
    SELECT agency_id INTO NEW.agency_id FROM org_nodes WHERE id = NEW.parent_id;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER org_nodes_set_agency BEFORE INSERT OR UPDATE OF parent_id, kind ON org_nodes
  FOR EACH ROW EXECUTE FUNCTION org_nodes_set_agency();

-- When a node moves or changes kind, its units follow (each update re-fires the trigger).
CREATE FUNCTION org_nodes_cascade_agency() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.agency_id IS DISTINCT FROM OLD.agency_id THEN
    UPDATE org_nodes SET parent_id = parent_id WHERE parent_id = NEW.id AND kind = 'unit';
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER org_nodes_cascade_agency AFTER UPDATE OF parent_id, kind ON org_nodes
  FOR EACH ROW EXECUTE FUNCTION org_nodes_cascade_agency();

-- ORG-3: sites shared by venues, cars, drivers and repair tickets.
CREATE TABLE sites (
  id         serial PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
  address    text NOT NULL DEFAULT '',
  sort       int NOT NULL DEFAULT 0,
  active     boolean NOT NULL DEFAULT true
);

-- SPEC "Accounts": 個人公務帳號.
CREATE TABLE accounts (
  id                   serial PRIMARY KEY,
  public_id            uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  -- Valid as an AD sAMAccountName.
  username             text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._-]{1,20}$'),
  name                 text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  title                text NOT NULL DEFAULT '',
  unit_id              int NOT NULL REFERENCES org_nodes(id),
  office_phone         text NOT NULL DEFAULT '',
  office_ext           text NOT NULL DEFAULT '',
  work_address         text NOT NULL DEFAULT '',
  needs_official_mail  boolean NOT NULL DEFAULT false,
  backup_email         text,
  totp_secret_enc      text,
  totp_enabled_at      timestamptz,
  mobile               text,
  mobile_verified_at   timestamptz,
  citizen_card_no      text UNIQUE,
  role                 text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'agency_admin', 'sys_admin')),
  status               text NOT NULL DEFAULT 'inactive' CHECK (status IN ('enabled', 'disabled', 'inactive')),
  status_reason        text,
  status_changed_at    timestamptz,
  login_permission     text NOT NULL DEFAULT 'normal' CHECK (login_permission IN ('normal', 'locked')),
  failed_login_count   int NOT NULL DEFAULT 0,
  locked_at            timestamptz,
  password_hash        text,
  password_changed_at  timestamptz,
  last_login_at        timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX accounts_unit ON accounts (unit_id);
CREATE INDEX accounts_search ON accounts
  USING gin ((username || ' ' || name || ' ' || title) gin_trgm_ops);

-- Sessions live in the database so every app server sees a disable or lock at once.
CREATE TABLE sessions (
  id            text PRIMARY KEY,            -- SHA-256 of the cookie token, never the token
  account_id    int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,
  ip            text NOT NULL DEFAULT '',
  user_agent    text NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions (account_id);

-- IDN-1: every sign-in attempt and sign-out.
CREATE TABLE login_records (
  id          bigserial PRIMARY KEY,
  account_id  int REFERENCES accounts(id) ON DELETE SET NULL,
  username    text NOT NULL,
  method      text NOT NULL,
  action      text NOT NULL,
  result      text NOT NULL,
  ip          text NOT NULL DEFAULT '',
  user_agent  text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL
);
CREATE INDEX login_records_account ON login_records (account_id, at DESC);
CREATE INDEX login_records_at ON login_records (at DESC);

-- PRT-5: every admin action.
CREATE TABLE audit_log (
  id           bigserial PRIMARY KEY,
  at           timestamptz NOT NULL,
  actor_id     int REFERENCES accounts(id) ON DELETE SET NULL,
  action       text NOT NULL,
  target_type  text NOT NULL,
  target_id    text NOT NULL,
  detail       jsonb NOT NULL DEFAULT '{}',
  ip           text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at DESC);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id);

-- Work done after commit: mail, push, AD sync, scheduled changes.
CREATE TABLE jobs (
  id               bigserial PRIMARY KEY,
  kind             text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}',
  state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'dead', 'cancelled')),
  run_at           timestamptz NOT NULL,
  attempts         int NOT NULL DEFAULT 0,
  max_attempts     int CHECK (max_attempts IS NULL OR max_attempts > 0),  -- NULL: retry for ever
  last_error       text,
  result           jsonb,
  idempotency_key  text UNIQUE,
  created_by       int REFERENCES accounts(id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  finished_at      timestamptz
);
CREATE INDEX jobs_due ON jobs (run_at, id) WHERE state = 'pending';
CREATE INDEX jobs_kind ON jobs (kind, state);

-- PRT-5: 系統參數.
CREATE TABLE system_params (
  key         text PRIMARY KEY,
  value       jsonb NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  int REFERENCES accounts(id) ON DELETE SET NULL
);
INSERT INTO system_params (key, value) VALUES
  ('idle_disable_days', '180'),
  ('password_max_age_days', '90'),
  ('lockout_threshold', '5'),
  ('lockout_cooldown_minutes', '15');

-- Mail and SMS when no SMTP_URL is configured (never in production).
CREATE TABLE dev_mailbox (
  id               bigserial PRIMARY KEY,
  channel          text NOT NULL CHECK (channel IN ('mail', 'sms')),
  to_address       text NOT NULL,
  subject          text NOT NULL DEFAULT '',
  body             text NOT NULL,
  idempotency_key  text UNIQUE,
  created_at       timestamptz NOT NULL
);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
DROP TABLE dev_mailbox, system_params, jobs, audit_log, login_records, sessions, accounts, sites, org_nodes;
DROP FUNCTION org_nodes_set_agency, org_nodes_cascade_agency;
`,
    )
    .execute(db);
}
