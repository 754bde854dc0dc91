import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import type { DirectoryPort } from "./port.js";
import { PASSWORD_JOB, SYNC_JOB, type DirectoryQueue } from "./queue.js";
import { desiredUser, type SyncDeps } from "./sync.js";
import { inTransaction } from "../../db/transaction.js";
import { idOr404 } from "../validation.js";

export interface DirectoryStatus {
  configured: boolean;
  /** AD jobs waiting (due or backing off). */
  backlog: number;
  /** Of those, how many failed at least once. */
  failing: number;
  /** Jobs that gave up (a password AD refused). */
  dead: number;
  oldestPendingAt: Date | null;
}

export interface DirectoryFailure {
  jobId: number;
  kind: "sync" | "password";
  state: "pending" | "dead";
  accountId: number;
  username: string;
  name: string;
  attempts: number;
  /** zh-TW reason and AD's text, as the job recorded it. */
  lastError: string;
  nextRunAt: Date | null;
  updatedAt: Date;
}

const AD_KINDS = [SYNC_JOB, PASSWORD_JOB];

/**
 * The AD sync as the admin page (AD 同步管理作業, system admins only) sees it: backlog,
 * failures with the LDAP error, retry one or all; plus the port and `desiredUser` for
 * reconcile and link import, and one account's state for the user's own pages.
 */
const jobGone = () => new DomainError("not_found", "找不到這筆待同步作業，可能已完成。");

export function createDirectoryService(deps: {
  db: Database;
  clock: Clock;
  port: DirectoryPort;
  queue: DirectoryQueue;
  syncDeps: Omit<SyncDeps, "port" | "dataKey">;
}) {
  const { db } = deps;

  return {
    configured: deps.port.configured,
    port: deps.port,
    queue: deps.queue,
    desiredUser: (trx: Database, accountId: number) => desiredUser(trx, accountId, deps.syncDeps),

    async status(actor: Actor): Promise<DirectoryStatus> {
      requireSysAdmin(actor);
      const row = await db
        .selectFrom("jobs")
        .select([
          // A running job (its AD write in flight) is still waiting to reach AD.
          sql<number>`count(*) FILTER (WHERE state IN ('pending', 'running'))::int`.as("backlog"),
          sql<number>`count(*) FILTER (WHERE state = 'pending' AND attempts > 0)::int`.as("failing"),
          sql<number>`count(*) FILTER (WHERE state = 'dead')::int`.as("dead"),
          sql<Date | null>`min(created_at) FILTER (WHERE state IN ('pending', 'running'))`.as("oldest"),
        ])
        .where("kind", "in", AD_KINDS)
        .where("state", "in", ["pending", "running", "dead"])
        .executeTakeFirstOrThrow();
      return {
        configured: deps.port.configured,
        backlog: row.backlog,
        failing: row.failing,
        dead: row.dead,
        oldestPendingAt: row.oldest,
      };
    },

    /** Pending jobs that failed at least once, and jobs that gave up; newest change first. */
    async failures(actor: Actor, opts: { limit?: number; offset?: number } = {}): Promise<DirectoryFailure[]> {
      requireSysAdmin(actor);
      const rows = await db
        .selectFrom("jobs as j")
        .innerJoin("accounts as a", (join) => join.on(sql<boolean>`a.id = (j.payload->>'accountId')::int`))
        .select([
          "j.id",
          "j.kind",
          "j.state",
          "j.attempts",
          "j.last_error",
          "j.run_at",
          "j.updated_at",
          "a.id as account_id",
          "a.username",
          "a.name",
        ])
        .where("j.kind", "in", AD_KINDS)
        .where((eb) =>
          eb.or([eb.and([eb("j.state", "=", "pending"), eb("j.attempts", ">", 0)]), eb("j.state", "=", "dead")]),
        )
        .orderBy("j.updated_at", "desc")
        .orderBy("j.id", "desc")
        .limit(Math.min(opts.limit ?? 100, 500))
        .offset(opts.offset ?? 0)
        .execute();
      return rows.map((r) => ({
        jobId: r.id,
        kind: r.kind === PASSWORD_JOB ? "password" : "sync",
        state: r.state === "dead" ? "dead" : "pending",
        accountId: r.account_id,
        username: r.username,
        name: r.name,
        attempts: r.attempts,
        lastError: r.last_error ?? "",
        nextRunAt: r.state === "pending" ? r.run_at : null,
        updatedAt: r.updated_at,
      }));
    },

    /**
     * Runs a failed job again now. A waiting job is made due; a given-up sync job is
     * re-queued as a fresh sync of its account. A given-up password job cannot be retried:
     * its password was wiped, so the user has to set a new one.
     */
    async retry(actor: Actor, rawJobId: unknown): Promise<void> {
      requireSysAdmin(actor);
      const jobId = idOr404(rawJobId, jobGone);
      const now = deps.clock.now();
      await inTransaction(db, async (trx) => {
        const job = await trx
          .selectFrom("jobs")
          .select(["id", "kind", "state", "payload"])
          .where("id", "=", jobId)
          .where("kind", "in", AD_KINDS)
          .forUpdate()
          .executeTakeFirst();
        if (job?.state === "running") {
          throw new DomainError("conflict", "這筆作業正在寫入 AD，請稍後再看結果。");
        }
        if (!job || (job.state !== "pending" && job.state !== "dead")) throw jobGone();
        if (job.state === "dead" && job.kind === PASSWORD_JOB) {
          throw new DomainError("conflict", "AD 未接受的密碼已清除，無法重試；請使用者重新設定密碼。");
        }
        const accountId = Number((job.payload as { accountId?: unknown }).accountId);
        if (job.state === "pending") {
          await trx.updateTable("jobs").set({ run_at: now, updated_at: now }).where("id", "=", job.id).execute();
        } else {
          await deps.queue.accountChanged(trx, { accountId, at: now, by: actor.accountId });
        }
        await writeAudit(trx, actor, now, {
          action: "directory.retry",
          targetType: "account",
          targetId: accountId,
          detail: { jobId: job.id, kind: job.kind },
        });
      });
    },

    /** Makes every waiting AD job due now. Returns how many. */
    async retryAll(actor: Actor): Promise<number> {
      requireSysAdmin(actor);
      const now = deps.clock.now();
      return inTransaction(db, async (trx) => {
        const res = await trx
          .updateTable("jobs")
          .set({ run_at: now, updated_at: now })
          .where("kind", "in", AD_KINDS)
          .where("state", "=", "pending")
          .where("attempts", ">", 0)
          .executeTakeFirst();
        const count = Number(res.numUpdatedRows);
        await writeAudit(trx, actor, now, {
          action: "directory.retry-all",
          targetType: "directory",
          targetId: "all",
          detail: { count },
        });
        return count;
      });
    },

    /**
     * The signed-in user's last password as AD sees it, for their password page: waiting,
     * taken, or refused with the reason (e.g. 密碼不符合 AD 密碼原則). Null when AD is not
     * configured or no password was ever sent.
     */
    async passwordStatus(
      actor: Actor,
    ): Promise<{ state: "pending" | "synced" | "refused"; reason: string | null } | null> {
      if (!deps.port.configured) return null;
      const job = await db
        .selectFrom("jobs")
        .select(["state"])
        .where("kind", "=", PASSWORD_JOB)
        .where("state", "in", ["pending", "running", "done", "dead"])
        .where(sql<string>`payload->>'accountId'`, "=", String(actor.accountId))
        .orderBy("id", "desc")
        .executeTakeFirst();
      if (!job) return null;
      if (job.state === "pending" || job.state === "running") return { state: "pending", reason: null };
      if (job.state === "done") return { state: "synced", reason: null };
      const state = await db
        .selectFrom("directory_sync_state")
        .select("password_error")
        .where("account_id", "=", actor.accountId)
        .executeTakeFirst();
      return { state: "refused", reason: state?.password_error ?? "AD 未接受這組密碼" };
    },

    /** The sync state of one account (admin page; the user's own password page shows password_error). */
    async accountState(accountId: number) {
      const state = await db
        .selectFrom("directory_sync_state")
        .selectAll()
        .where("account_id", "=", accountId)
        .executeTakeFirst();
      const pending = await db
        .selectFrom("jobs")
        .select(["kind", sql<number>`count(*)::int`.as("n")])
        .where("kind", "in", AD_KINDS)
        .where("state", "in", ["pending", "running"])
        .where(sql<string>`payload->>'accountId'`, "=", String(accountId))
        .groupBy("kind")
        .execute();
      return {
        state: state ?? null,
        pendingSync: pending.find((p) => p.kind === SYNC_JOB)?.n ?? 0,
        pendingPassword: pending.find((p) => p.kind === PASSWORD_JOB)?.n ?? 0,
      };
    },
  };
}

export type DirectoryService = ReturnType<typeof createDirectoryService>;
