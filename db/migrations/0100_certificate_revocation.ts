import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 17 item 8 (ADR 0035): certificate revocation lists, fetched by a job and shared by
// every app server. One row per CRL URL (a distribution point named by a card, or one the
// configuration lists); the CA that signed it is known after its first good fetch. The
// revoked serial numbers of the CRL last stored for that URL sit in cert_revoked.
// Expand-only (ADR 21): two new tables nothing older reads.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE cert_crl_sources (
  url              text PRIMARY KEY,
  origin           text NOT NULL CHECK (origin IN ('config', 'certificate')),
  ca_fingerprint   text,
  ca_subject       text,
  this_update      timestamptz,
  next_update      timestamptz,
  crl_number       text,
  entries          int NOT NULL DEFAULT 0,
  fetched_at       timestamptz,
  last_attempt_at  timestamptz,
  last_error       text,
  created_at       timestamptz NOT NULL
);
CREATE INDEX cert_crl_sources_ca ON cert_crl_sources (ca_fingerprint);
CREATE TABLE cert_revoked (
  url         text NOT NULL REFERENCES cert_crl_sources(url) ON DELETE CASCADE,
  serial      text NOT NULL,
  revoked_at  timestamptz NOT NULL,
  reason      smallint,
  PRIMARY KEY (url, serial)
);
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE cert_revoked; DROP TABLE cert_crl_sources;`).execute(db);
}
