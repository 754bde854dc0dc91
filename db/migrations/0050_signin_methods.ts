import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// IDN-2/3, NTF-3: TOTP used codes, temporary passwords, phone codes (issue 5).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- IDN-2: an enrolment waiting for its confirming code. The secret is encrypted with the
-- data key (accounts.totp_secret_enc holds it once confirmed).
CREATE TABLE totp_enrolments (
  account_id  int PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  secret_enc  text NOT NULL,
  created_at  timestamptz NOT NULL
);

-- IDN-2: the newest time step a code was accepted for, so a code is never used twice.
CREATE TABLE totp_used_steps (
  account_id  int PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  last_step   bigint NOT NULL
);

-- IDN-2: half a sign-in (first factor passed, code still due). The browser holds a random
-- token; only its SHA-256 is kept here. Short-lived, and gone once used or given up.
CREATE TABLE signin_challenges (
  id            text PRIMARY KEY,
  account_id    int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  first_method  text NOT NULL,
  failures      int NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL
);
CREATE INDEX signin_challenges_expires ON signin_challenges (expires_at);

-- IDN-3: temporary passwords (臨時密碼), kept only as a hash, single use, short-lived.
CREATE TABLE temporary_passwords (
  id          bigserial PRIMARY KEY,
  account_id  int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  hash        text NOT NULL,
  channel     text NOT NULL CHECK (channel IN ('sms', 'mail')),
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  -- A newer one replaces it: only the latest works.
  revoked_at  timestamptz
);
CREATE INDEX temporary_passwords_account ON temporary_passwords (account_id, created_at DESC);

-- NTF-3: one pending mobile number check per account.
CREATE TABLE phone_verifications (
  account_id  int PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  mobile      text NOT NULL CHECK (mobile ~ '^09[0-9]{8}$'),
  code_hash   text NOT NULL,
  attempts    int NOT NULL DEFAULT 0,
  sent_at     timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL
);

-- NTF-3: every code sent, for the per-account send limit.
CREATE TABLE phone_code_sends (
  id          bigserial PRIMARY KEY,
  account_id  int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  sent_at     timestamptz NOT NULL
);
CREATE INDEX phone_code_sends_account ON phone_code_sends (account_id, sent_at DESC);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `DROP TABLE phone_code_sends, phone_verifications, temporary_passwords, signin_challenges, totp_used_steps, totp_enrolments;`,
    )
    .execute(db);
}
