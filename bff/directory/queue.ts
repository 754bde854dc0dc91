import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import { encrypt } from "../oidc/data-key.js";

/** Job kinds of the AD sync (bff/directory/sync.ts runs them). */
export const SYNC_JOB = "directory.sync-account";
export const PASSWORD_JOB = "directory.set-password";

/**
 * IDN-5: the one way an account change reaches Active Directory. Every use case that
 * changes an account calls this inside its own transaction, so the AD change exists
 * exactly when the portal change commits. The jobs behind it belong to bff/directory.
 */
export interface DirectoryQueue {
  /** The account was created or its data, unit, agency or status changed: make AD match. */
  accountChanged(trx: Tx, change: { accountId: number; at: Date; by?: number | null }): Promise<void>;
  /** A new password for AD. Kept encrypted until AD has it; never stored in plain text. */
  passwordSet(trx: Tx, change: { accountId: number; password: string; at: Date; by?: number | null }): Promise<void>;
}

/** Two AD jobs with this key never run at once: per-account order (bff/jobs serial keys). */
export const adSerialKey = (accountId: number) => `ad-account:${accountId}`;

/** The payload a password job keeps once AD has the password or the job gave up. */
export const wipedPayload = (accountId: number) => ({ accountId, wiped: true });

/**
 * A sync job reads the account as it is when it runs, so one pending job per account is
 * enough: a second change joins the pending one unless a worker holds it right now (then
 * a new job follows it; the account's serial key keeps the two apart).
 */
export function createDirectoryQueue(deps: { dataKey: Buffer }): DirectoryQueue {
  return {
    async accountChanged(trx, change) {
      const waiting = await pendingFor(trx, SYNC_JOB, change.accountId);
      if (waiting.length > 0) {
        await trx.updateTable("jobs").set({ run_at: change.at }).where("id", "=", waiting[0]!).execute();
        return;
      }
      await enqueue(trx, {
        kind: SYNC_JOB,
        payload: { accountId: change.accountId },
        runAt: change.at,
        serialKey: adSerialKey(change.accountId),
        maxAttempts: null,
        createdBy: change.by ?? null,
      });
    },
    async passwordSet(trx, change) {
      // Only the newest password matters: older ones still waiting are cancelled and wiped.
      const older = await pendingFor(trx, PASSWORD_JOB, change.accountId);
      if (older.length > 0) {
        await trx
          .updateTable("jobs")
          .set({
            state: "cancelled",
            payload: JSON.stringify(wipedPayload(change.accountId)),
            finished_at: change.at,
            updated_at: change.at,
            last_error: "已由較新的密碼取代",
          })
          .where("id", "in", older)
          .execute();
      }
      await enqueue(trx, {
        kind: PASSWORD_JOB,
        payload: { accountId: change.accountId, sealed: encrypt(deps.dataKey, change.password) },
        runAt: change.at,
        serialKey: adSerialKey(change.accountId),
        maxAttempts: null,
        createdBy: change.by ?? null,
      });
    },
  };
}

/**
 * Pending jobs of this kind for the account that no worker is taking now: a job being
 * claimed is row-locked until its claim commits, then 'running' (its AD write may already
 * have read the account), so a change made meanwhile gets a job of its own.
 */
async function pendingFor(trx: Tx, kind: string, accountId: number): Promise<number[]> {
  const rows = await trx
    .selectFrom("jobs")
    .select("id")
    .where("kind", "=", kind)
    .where("state", "=", "pending")
    .where(sql<string>`payload->>'accountId'`, "=", String(accountId))
    .orderBy("id")
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map((r) => r.id);
}
