import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { PASSWORD_JOB, SYNC_JOB } from "./queue.js";

export interface PendingJob {
  jobId: number;
  kind: "sync" | "password";
  accountId: number;
  username: string;
  name: string;
  attempts: number;
  createdAt: Date;
  runAt: Date;
}

/**
 * What the AD 同步管理作業 page lists besides the core service's counts and failures: the
 * waiting AD jobs themselves (oldest first, the order they will reach AD) and the last
 * time AD matched the portal for any account. No payload is read: a password job's
 * payload holds the sealed password and has no business on a page.
 */
export function createDirectoryBacklog(deps: { db: Database }) {
  return {
    async pending(actor: Actor, opts: { limit?: number; offset?: number } = {}): Promise<PendingJob[]> {
      requireSysAdmin(actor);
      const rows = await deps.db
        .selectFrom("jobs as j")
        .innerJoin("accounts as a", (join) => join.on(sql<boolean>`a.id = (j.payload->>'accountId')::int`))
        .select([
          "j.id",
          "j.kind",
          "j.attempts",
          "j.created_at",
          "j.run_at",
          "a.id as account_id",
          "a.username",
          "a.name",
        ])
        .where("j.kind", "in", [SYNC_JOB, PASSWORD_JOB])
        // Running jobs too: their AD write is in flight, they have not reached AD yet.
        .where("j.state", "in", ["pending", "running"])
        .orderBy("j.id")
        .limit(Math.min(opts.limit ?? 50, 500))
        .offset(Math.max(opts.offset ?? 0, 0))
        .execute();
      return rows.map((r) => ({
        jobId: r.id,
        kind: r.kind === PASSWORD_JOB ? "password" : "sync",
        accountId: r.account_id,
        username: r.username,
        name: r.name,
        attempts: r.attempts,
        createdAt: r.created_at,
        runAt: r.run_at,
      }));
    },

    /** The newest successful sync of any account, or null before the first one. */
    async lastSyncAt(actor: Actor): Promise<Date | null> {
      requireSysAdmin(actor);
      const row = await deps.db
        .selectFrom("directory_sync_state")
        .select(sql<Date | null>`max(greatest(synced_at, password_synced_at))`.as("at"))
        .executeTakeFirst();
      return row?.at ?? null;
    },
  };
}

export type DirectoryBacklog = ReturnType<typeof createDirectoryBacklog>;
