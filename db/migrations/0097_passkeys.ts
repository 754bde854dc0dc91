import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 17 item 7 (ADR 0034): passkeys (WebAuthn credentials) and the challenges the
// browser's authenticator signs. Challenges live here, not in a server's memory, so the
// options one app server hands out can be answered on another; each is single use (deleted
// by the request that spends it) and short-lived. New tables only: servers of the previous
// release never read them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE passkeys (
  id             serial PRIMARY KEY,
  account_id     int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  credential_id  text NOT NULL UNIQUE CHECK (length(credential_id) BETWEEN 1 AND 1400),
  public_key     text NOT NULL CHECK (length(public_key) <= 4000),
  counter        bigint NOT NULL DEFAULT 0 CHECK (counter >= 0),
  transports     text NOT NULL DEFAULT '' CHECK (length(transports) <= 200),
  name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
  backed_up      boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL,
  last_used_at   timestamptz
);
CREATE INDEX passkeys_account ON passkeys (account_id);
COMMENT ON TABLE passkeys IS 'WebAuthn credentials (bff/auth/passkeys.ts, ADR 0034); public_key is the COSE key, base64url';

CREATE TABLE webauthn_challenges (
  challenge   text PRIMARY KEY CHECK (length(challenge) BETWEEN 16 AND 100),
  purpose     text NOT NULL CHECK (purpose IN ('register', 'login')),
  account_id  int REFERENCES accounts(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  CHECK ((purpose = 'register') = (account_id IS NOT NULL))
);
CREATE INDEX webauthn_challenges_expires ON webauthn_challenges (expires_at);
COMMENT ON TABLE webauthn_challenges IS 'single-use WebAuthn challenges shared by every app server (ADR 0034)';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE webauthn_challenges, passkeys;`).execute(db);
}
