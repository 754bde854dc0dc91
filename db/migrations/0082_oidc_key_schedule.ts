import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 13 item 8: a rotated OIDC signing key is published at once but signs only from
// `sign_from` on, after relying parties' JWKS caches have seen it. Existing keys signed
// from their creation. An added column with a default: servers of the previous release
// keep inserting keys (which then sign at once, as they did) and never read it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
ALTER TABLE oidc_signing_keys ADD COLUMN sign_from timestamptz NOT NULL DEFAULT now();
UPDATE oidc_signing_keys SET sign_from = created_at;
COMMENT ON COLUMN oidc_signing_keys.sign_from IS 'published from created_at; signs from here on (bff/oidc/keys.ts)';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`ALTER TABLE oidc_signing_keys DROP COLUMN sign_from;`).execute(db);
}
