import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// IDN-6/8 integration applications and the app list (issue 8).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- IDN-6 應用系統服務介接申請: a user applies, a system admin decides. On approval the
-- client is registered; its secret waits here, encrypted with the data key, until the
-- applicant views it once (then it is wiped) or it expires.
CREATE TABLE sso_applications (
  id                        serial PRIMARY KEY,
  applicant_id              int NOT NULL REFERENCES accounts(id),
  system_name               text NOT NULL CHECK (length(system_name) BETWEEN 1 AND 100),
  owner_agency_id           int NOT NULL REFERENCES org_nodes(id),
  contact_name              text NOT NULL CHECK (length(contact_name) BETWEEN 1 AND 50),
  contact_phone             text NOT NULL CHECK (length(contact_phone) BETWEEN 1 AND 30),
  contact_email             text NOT NULL CHECK (length(contact_email) BETWEEN 3 AND 200),
  redirect_uris             jsonb NOT NULL DEFAULT '[]',
  post_logout_redirect_uri  text CHECK (length(post_logout_redirect_uri) <= 500),
  initiate_login_uri        text CHECK (length(initiate_login_uri) <= 500),
  grant_types               jsonb NOT NULL,
  scopes                    jsonb NOT NULL,
  reason                    text NOT NULL CHECK (length(reason) BETWEEN 1 AND 1000),
  status                    text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  review_note               text NOT NULL DEFAULT '' CHECK (length(review_note) <= 500),
  reviewed_by               int REFERENCES accounts(id),
  reviewed_at               timestamptz,
  client_id                 text REFERENCES oidc_clients(client_id),
  secret_enc                text,
  secret_expires_at         timestamptz,
  secret_viewed_at          timestamptz,
  created_at                timestamptz NOT NULL,
  updated_at                timestamptz NOT NULL
);
CREATE INDEX sso_applications_applicant ON sso_applications (applicant_id, created_at DESC);
CREATE INDEX sso_applications_status ON sso_applications (status, created_at);

-- IDN-8: where a system starts a sign-in (OIDC third-party-initiated login), and whether
-- an admin approved it for everyone (no consent screen on transfer sign-in).
ALTER TABLE oidc_clients
  ADD COLUMN initiate_login_uri text CHECK (length(initiate_login_uri) <= 500),
  ADD COLUMN pre_approved boolean NOT NULL DEFAULT false,
  ADD COLUMN disabled_at timestamptz;

-- Which system a single sign-on (sso) or verification (api) sign-in was for.
ALTER TABLE login_records ADD COLUMN client_id text;
CREATE INDEX login_records_client ON login_records (client_id, at DESC) WHERE client_id IS NOT NULL;

-- IDN-8 應用程式列表 (首頁應用程式管理): a registered system (transfer sign-in) or a plain link.
CREATE TABLE app_list_entries (
  id          serial PRIMARY KEY,
  client_id   text REFERENCES oidc_clients(client_id) ON DELETE CASCADE,
  label       text NOT NULL CHECK (length(label) BETWEEN 1 AND 30),
  icon        text NOT NULL DEFAULT '' CHECK (length(icon) <= 2),
  url         text CHECK (length(url) <= 500),
  sort        int NOT NULL DEFAULT 0,
  visible     boolean NOT NULL DEFAULT true,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL,
  CHECK ((client_id IS NULL) <> (url IS NULL))
);
CREATE UNIQUE INDEX app_list_entries_client ON app_list_entries (client_id) WHERE client_id IS NOT NULL;

-- IDN-7: the verification API's per-client limit, one fixed window shared by every app server.
CREATE TABLE sso_rate_windows (
  client_id     text NOT NULL,
  window_start  timestamptz NOT NULL,
  count         int NOT NULL,
  PRIMARY KEY (client_id, window_start)
);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
DROP TABLE sso_rate_windows, app_list_entries, sso_applications;
ALTER TABLE login_records DROP COLUMN client_id;
ALTER TABLE oidc_clients DROP COLUMN initiate_login_uri, DROP COLUMN pre_approved, DROP COLUMN disabled_at;
`,
    )
    .execute(db);
}
