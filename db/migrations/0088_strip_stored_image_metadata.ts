import { type Kysely, sql } from "kysely";

// Frozen in time: never import application code here.
// Issue 14 item 6 (ADR 0026): venue images and repair photos stored before this release keep
// their EXIF (GPS). Decoding and re-encoding them needs sharp, which SQL cannot call, and
// doing it here would hold every app server's start (migrations run in one transaction) for
// as long as the images take. So this migration only queues the job that does it
// (bff/items/strip-stored-metadata.ts), once: the idempotency key makes a second run a no-op.
// Expand-only (ADR 21): one job row; a previous release's worker that claims it has no
// handler, fails the attempt and leaves it for the new workers (20 attempts, up to 15 min apart).
export async function up(db: Kysely<any>): Promise<void> {
  await sql
    .raw(
      `
INSERT INTO jobs (kind, payload, run_at, max_attempts, idempotency_key, created_at, updated_at)
VALUES ('images.strip-metadata', '{"table": "item_images", "afterId": 0}', now(), 20,
        'images.strip-metadata:0088', now(), now())
ON CONFLICT (idempotency_key) DO NOTHING;
`,
    )
    .execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql
    .raw(`DELETE FROM jobs WHERE idempotency_key = 'images.strip-metadata:0088' AND state = 'pending';`)
    .execute(db);
}
