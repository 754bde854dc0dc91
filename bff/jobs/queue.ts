import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import { type Lane, laneOfKind } from "./lanes.js";

/** The LISTEN/NOTIFY channel that tells workers new work is due. */
export const JOBS_CHANNEL = "portal_jobs";

export interface EnqueueOptions {
  kind: string;
  payload?: unknown;
  /** When the job becomes due; now by default. */
  runAt: Date;
  /** A second enqueue with the same key is ignored, so a retried use case adds no duplicate. */
  idempotencyKey?: string;
  /** Attempts before the job goes dead; `null` retries for ever. Default: the kind's own. */
  maxAttempts?: number | null;
  createdBy?: number | null;
  /**
   * Jobs with one serial key never run at once (the claim skips a key with a job running,
   * and a unique index holds it): one AD job per account.
   */
  serialKey?: string;
  /** The lane it waits in; by default its kind's (bff/jobs/lanes.ts). */
  lane?: Lane;
}

/**
 * Records a job in the caller's transaction: it exists only if the change that caused it
 * commits. Returns the job id, or undefined when the idempotency key was already used.
 */
export async function enqueue(trx: Tx, opts: EnqueueOptions): Promise<number | undefined> {
  const row = await trx
    .insertInto("jobs")
    .values({
      kind: opts.kind,
      payload: JSON.stringify(opts.payload ?? {}),
      run_at: opts.runAt,
      max_attempts: opts.maxAttempts === undefined ? 5 : opts.maxAttempts,
      idempotency_key: opts.idempotencyKey ?? null,
      created_by: opts.createdBy ?? null,
      serial_key: opts.serialKey ?? null,
      lane: opts.lane ?? laneOfKind(opts.kind),
      created_at: opts.runAt,
      updated_at: opts.runAt,
    })
    .onConflict((oc) => oc.column("idempotency_key").doNothing())
    .returning(["id", "lane"])
    .executeTakeFirst();
  // Delivered at commit (never for a rollback): wakes the lane's listening workers at once.
  if (row) await sql`SELECT pg_notify(${JOBS_CHANNEL}, ${row.lane ?? ""})`.execute(trx);
  return row?.id;
}
