import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 17 item 7 (ADR 0034): ten single-use recovery codes per account with TOTP on.
// A code is "selector-secret": the selector (its first two characters) is kept in clear to
// find the row, the whole code only as an argon2id hash, so one attempt costs one hash. A
// spent code keeps its row (used_at) for the record; regenerating deletes the old set.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE totp_recovery_codes (
  id          serial PRIMARY KEY,
  account_id  int NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  selector    text NOT NULL CHECK (length(selector) = 2),
  hash        text NOT NULL CHECK (length(hash) <= 200),
  created_at  timestamptz NOT NULL,
  used_at     timestamptz
);
CREATE INDEX totp_recovery_codes_account ON totp_recovery_codes (account_id, selector);
COMMENT ON TABLE totp_recovery_codes IS 'TOTP recovery codes, argon2id-hashed (bff/auth/recovery-codes.ts, ADR 0034)';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE totp_recovery_codes;`).execute(db);
}
