import type { Database } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";

/**
 * IDN-5: the one way an account change reaches Active Directory. Every use case that
 * changes an account calls this inside its own transaction, so the AD change exists
 * exactly when the portal change commits. The jobs behind it belong to bff/directory.
 */
export interface DirectoryQueue {
  /** The account was created or its data, unit, agency or status changed: make AD match. */
  accountChanged(db: Database, change: { accountId: number; at: Date; by?: number | null }): Promise<void>;
  /** A new password for AD. Kept encrypted until AD has it; never stored in plain text. */
  passwordSet(
    db: Database,
    change: { accountId: number; password: string; at: Date; by?: number | null },
  ): Promise<void>;
}

/** Placeholder until the AD sync lands: records the account change; passwords wait for it. */
export function createDirectoryQueue(_deps: { dataKey: Buffer }): DirectoryQueue {
  return {
    async accountChanged(db, change) {
      await enqueue(db, {
        kind: "directory.sync-account",
        payload: { accountId: change.accountId },
        runAt: change.at,
        maxAttempts: null,
        createdBy: change.by ?? null,
      });
    },
    async passwordSet(db, change) {
      await this.accountChanged(db, change);
    },
  };
}
