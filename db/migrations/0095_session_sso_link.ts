import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 17 item 6 (ADR 0033): 登入裝置與授權. A portal session remembers the single sign-on
// session (oidc-provider's Session uid) its browser carries, so ending a session of another
// device ends that device's SSO session too (one sign-out, ADR 0023), although that browser's
// cookies are not at hand. The uid, not the id: the provider renews a session's id at sign-in
// but keeps its uid. The partial index finds an account's SSO sessions when an admin ends
// them all (every row the provider keeps carries the account's public id).
// Expand-only (ADR 21): a nullable column an older release never writes, and an index.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE sessions ADD COLUMN sso_session_uid text;
CREATE INDEX oidc_payloads_session_owner ON oidc_payloads ((payload->>'accountId'))
  WHERE model = 'Session';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(`DROP INDEX oidc_payloads_session_owner; ALTER TABLE sessions DROP COLUMN sso_session_uid;`)
    .execute(db);
}
