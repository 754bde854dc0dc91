import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// IDN-4 citizen certificate challenges (issue 5).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
-- IDN-4: a challenge the card signs. Single use (used_at), short-lived (expires_at).
-- A "link" challenge belongs to the signed-in account that asked for it, so another
-- session cannot complete it.
CREATE TABLE cert_challenges (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  purpose     text NOT NULL CHECK (purpose IN ('login', 'link')),
  nonce       text NOT NULL,
  account_id  int REFERENCES accounts(id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  CHECK ((purpose = 'link') = (account_id IS NOT NULL))
);
CREATE INDEX cert_challenges_expires ON cert_challenges (expires_at);
`,
    )
    .execute(db);
}
