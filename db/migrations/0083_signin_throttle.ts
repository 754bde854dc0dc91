import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 14 item 5 (ADR 0025): sign-in failures counted per client address, per username,
// per known device and per relying party + username, so every app server (and the
// embedded database) shares one count. One row per key, updated by a single
// INSERT … ON CONFLICT … RETURNING; `blocked_until` is read before any password hash is
// computed. A new table only: servers of the previous release never read it.
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
CREATE TABLE signin_throttle (
  key              text PRIMARY KEY CHECK (length(key) <= 200),
  failures         int NOT NULL CHECK (failures >= 0),
  last_failure_at  timestamptz NOT NULL,
  blocked_until    timestamptz
);
CREATE INDEX signin_throttle_last_failure ON signin_throttle (last_failure_at);
COMMENT ON TABLE signin_throttle IS 'sign-in failure counts and growing delays (bff/auth/throttle.ts, ADR 0025)';
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE signin_throttle;`).execute(db);
}
