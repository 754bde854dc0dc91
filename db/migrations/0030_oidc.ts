import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- IDN-6: everything oidc-provider keeps (sessions, interactions, grants, codes, tokens),
-- one row per model and id, so every app server sees the same state.
CREATE TABLE oidc_payloads (
  id           text NOT NULL,
  model        text NOT NULL,
  payload      jsonb NOT NULL,
  grant_id     text,
  user_code    text,
  uid          text,
  expires_at   timestamptz,
  consumed_at  timestamptz,
  PRIMARY KEY (model, id)
);
CREATE INDEX oidc_payloads_grant ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL;
CREATE INDEX oidc_payloads_user_code ON oidc_payloads (user_code) WHERE user_code IS NOT NULL;
CREATE INDEX oidc_payloads_uid ON oidc_payloads (uid) WHERE uid IS NOT NULL;
CREATE INDEX oidc_payloads_expires ON oidc_payloads (expires_at);
-- Remembered consent: the grant of one account for one system.
CREATE INDEX oidc_payloads_grant_owner ON oidc_payloads ((payload->>'accountId'), (payload->>'clientId'))
  WHERE model = 'Grant';

-- Signing keys: made once, rotated by retiring them. A retired key stays in the JWKS
-- until tokens it signed have expired. Private halves are encrypted (AES-256-GCM).
CREATE TABLE oidc_signing_keys (
  kid          text PRIMARY KEY,
  alg          text NOT NULL CHECK (alg IN ('RS256', 'ES256')),
  public_jwk   jsonb NOT NULL,
  private_enc  text NOT NULL,
  created_at   timestamptz NOT NULL,
  retired_at   timestamptz
);

-- Registered systems (應用系統). The secret is kept only as a hash.
CREATE TABLE oidc_clients (
  client_id                 text PRIMARY KEY CHECK (client_id ~ '^[A-Za-z0-9._-]{8,100}$'),
  client_secret_hash        text,
  name                      text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
  owner_agency_id           int REFERENCES org_nodes(id),
  redirect_uris             jsonb NOT NULL DEFAULT '[]',
  post_logout_redirect_uris jsonb NOT NULL DEFAULT '[]',
  grant_types               jsonb NOT NULL DEFAULT '["authorization_code","refresh_token"]',
  scopes                    jsonb NOT NULL DEFAULT '["openid"]',
  enabled                   boolean NOT NULL DEFAULT true,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now()
);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE oidc_clients, oidc_signing_keys, oidc_payloads;`).execute(db);
}
