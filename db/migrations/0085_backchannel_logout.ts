import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 14 item 1 (ADR 0023): a connected system may register where it hears of a sign-out
// (OpenID Back-Channel Logout 1.0). Nullable columns: servers of the previous release neither
// read nor write them.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE oidc_clients ADD COLUMN backchannel_logout_uri text CHECK (length(backchannel_logout_uri) <= 500);
ALTER TABLE sso_applications ADD COLUMN backchannel_logout_uri text CHECK (length(backchannel_logout_uri) <= 500);
COMMENT ON COLUMN oidc_clients.backchannel_logout_uri IS 'OpenID back-channel logout endpoint (bff/outbound/backchannel-logout.ts)';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `ALTER TABLE oidc_clients DROP COLUMN backchannel_logout_uri; ALTER TABLE sso_applications DROP COLUMN backchannel_logout_uri;`,
    )
    .execute(db);
}
