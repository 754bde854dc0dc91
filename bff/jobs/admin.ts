import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Job } from "../../db/schema.js";
import { type Actor, requireSysAdmin } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import type { Clock } from "../ports/clock.js";
import { inTransaction } from "../../db/transaction.js";
import { idOr404, parseInput } from "../validation.js";
import { JOBS_CHANNEL } from "./queue.js";
import { type DeadListQuery, deadListQuery } from "./schemas.js";
import { deadJobsByKind } from "./stats.js";

/**
 * 背景作業 (issue 15 item 3, ADR 0028): the jobs that gave up, for system admins, with 重試
 * and 捨棄. Anyone else gets the same 404 as a page that does not exist. The list shows who
 * a job was for only as far as an admin needs to tell jobs apart: addresses and phone
 * numbers masked, accounts by username.
 */

/** zh-TW names of the job kinds; an unknown kind is shown as its code. */
export const JOB_KIND_LABELS: Record<string, string> = {
  "mail.send": "電子郵件",
  "sms.send": "簡訊",
  "signin.secret-message": "驗證碼／臨時密碼通知",
  "shared_account.password_mail": "機關帳號密碼通知信",
  "push.fanout": "推播通知",
  "push.deliver": "推播通知（單一裝置重送）",
  "directory.sync-account": "AD 帳號同步",
  "directory.set-password": "AD 密碼同步",
  "scheduled.run": "預約異動",
  "accounts.idle-disable": "閒置帳號停用",
  "maintenance.cleanup": "例行清理",
  "images.strip-metadata": "圖片中繼資料清除",
  "certificates.crl-refresh": "憑證廢止清冊（CRL）更新",
};
export const jobKindLabel = (kind: string) => JOB_KIND_LABELS[kind] ?? kind;

/** Kinds that carry a sealed secret, wiped when they gave up: nothing left to send again. */
const SECRET_KINDS = new Set(["signin.secret-message", "directory.set-password", "shared_account.password_mail"]);

const STATE_LABELS: Record<string, string> = {
  pending: "等候執行",
  running: "執行中",
  done: "已完成",
  dead: "已停止重試",
  cancelled: "已捨棄",
};

export const DEAD_PAGE_SIZE = 50;

/** 「w***@example.gov.tw」: tells two addresses apart without showing them. */
export function maskEmail(address: string): string {
  const [user = "", domain = ""] = address.split("@");
  return domain ? `${user.slice(0, 1)}***@${domain}` : "***";
}

/** 「09******78」: the first two and last two digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, "");
  return digits.length < 6 ? "***" : `${digits.slice(0, 2)}${"*".repeat(digits.length - 4)}${digits.slice(-2)}`;
}

const str = (v: unknown) => (typeof v === "string" ? v : "");
const num = (v: unknown) => (typeof v === "number" && Number.isSafeInteger(v) ? v : null);

/** Who or what a job was for, masked; accountIds are resolved to usernames by the caller. */
function targetOf(kind: string, p: Record<string, unknown>, username: (id: number | null) => string): string {
  switch (kind) {
    case "mail.send":
    case "shared_account.password_mail":
      return maskEmail(str(p.to));
    case "sms.send":
      return maskPhone(str(p.to));
    case "signin.secret-message":
      return p.channel === "sms" ? `簡訊 ${maskPhone(str(p.to))}` : `郵件 ${maskEmail(str(p.to))}`;
    case "push.fanout":
      return `${Array.isArray(p.recipients) ? p.recipients.length : 0} 位收件人的裝置`;
    case "push.deliver":
      return `${username(num(p.accountId))} 的裝置 #${num(p.subscriptionId) ?? "?"}`;
    case "certificates.crl-refresh":
      return str(p.url) || "—"; // a public CA address, nothing personal
    default:
      return num(p.accountId) !== null ? `帳號 ${username(num(p.accountId))}` : "—";
  }
}

export interface DeadJobRow {
  id: number;
  kind: string;
  kindLabel: string;
  target: string;
  attempts: number;
  lastError: string;
  createdAt: Date;
  diedAt: Date | null;
}

/** A job id that does not parse is the same "not found" as one that does not exist. */
const missing = () => new DomainError("not_found", "找不到這筆背景作業，可能已被處理。");

export function createJobsAdmin(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  async function usernames(ids: number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await db.selectFrom("accounts").select(["id", "username"]).where("id", "in", ids).execute();
    return new Map(rows.map((r) => [r.id, r.username]));
  }

  /** Locks a dead job for retry or discard; a job in any other state is a zh-TW conflict. */
  async function lockDead(trx: Tx, id: number, verb: string): Promise<Job> {
    const job = await trx.selectFrom("jobs").selectAll().where("id", "=", id).forUpdate().executeTakeFirst();
    if (!job) throw missing();
    if (job.state !== "dead") {
      throw new DomainError(
        "conflict",
        `這筆作業目前「${STATE_LABELS[job.state] ?? job.state}」，只有已停止重試的作業可以${verb}。`,
      );
    }
    return job;
  }

  return {
    /** The dead jobs, newest first, one page at a time; with the count of each kind. */
    async listDead(actor: Actor, raw: DeadListQuery = {}) {
      requireSysAdmin(actor);
      const { page } = parseInput(deadListQuery, raw);
      const [rows, counts] = await Promise.all([
        db
          .selectFrom("jobs")
          .select(["id", "kind", "payload", "attempts", "last_error", "created_at", "finished_at"])
          .where("state", "=", "dead")
          .orderBy(sql`coalesce(finished_at, updated_at)`, "desc")
          .orderBy("id", "desc")
          .limit(DEAD_PAGE_SIZE)
          .offset((page - 1) * DEAD_PAGE_SIZE)
          .execute(),
        deadJobsByKind(db),
      ]);
      const payloads = rows.map((r) => (r.payload ?? {}) as Record<string, unknown>);
      const names = await usernames([...new Set(payloads.map((p) => num(p.accountId)).filter((n) => n !== null))]);
      const username = (id: number | null) => (id === null ? "?" : (names.get(id) ?? `#${id}`));
      const byKind = Object.entries(counts).map(([kind, n]) => ({ kind, label: jobKindLabel(kind), n }));
      return {
        rows: rows.map((r, i): DeadJobRow => ({
          id: r.id,
          kind: r.kind,
          kindLabel: jobKindLabel(r.kind),
          target: targetOf(r.kind, payloads[i]!, username),
          attempts: r.attempts,
          lastError: r.last_error ?? "",
          createdAt: r.created_at,
          diedAt: r.finished_at,
        })),
        byKind,
        total: byKind.reduce((a, c) => a + c.n, 0),
        page,
        pageSize: DEAD_PAGE_SIZE,
      };
    },

    /** How many jobs gave up: the console's count next to 背景作業. */
    async deadCount(actor: Actor): Promise<number> {
      requireSysAdmin(actor);
      const row = await db
        .selectFrom("jobs")
        .select((eb) => eb.fn.countAll<string>().as("n"))
        .where("state", "=", "dead")
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    /**
     * 重試: the job is due now with a fresh retry window (retry_from, ADR 0028); its attempts
     * keep counting and its last error stays until the next try. A message whose secret was
     * wiped when it gave up cannot be sent again: the person asks for a new one.
     */
    async retry(actor: Actor, rawId: unknown): Promise<{ kindLabel: string }> {
      requireSysAdmin(actor);
      const id = idOr404(rawId, missing);
      const now = clock.now();
      return inTransaction(db, async (trx) => {
        const job = await lockDead(trx, id, "重試");
        const payload = (job.payload ?? {}) as Record<string, unknown>;
        if (SECRET_KINDS.has(job.kind) && typeof payload.sealed !== "string") {
          throw new DomainError(
            "conflict",
            "這筆作業的密碼或驗證碼已在停止重試時清除，無法重送；請使用者重新申請或重設密碼後再寄送。",
          );
        }
        await trx
          .updateTable("jobs")
          .set({ state: "pending", run_at: now, retry_from: now, finished_at: null, updated_at: now })
          .where("id", "=", id)
          .execute();
        // Wakes listening workers at commit, as enqueue does.
        await sql`SELECT pg_notify(${JOBS_CHANNEL}, '')`.execute(trx);
        await writeAudit(trx, actor, now, {
          action: "job.retry",
          targetType: "job",
          targetId: id,
          detail: { kind: job.kind, attempts: job.attempts },
        });
        return { kindLabel: jobKindLabel(job.kind) };
      });
    },

    /** 捨棄: the job will not be sent; any sealed secret goes with it. Kept as 'cancelled'. */
    async discard(actor: Actor, rawId: unknown): Promise<{ kindLabel: string }> {
      requireSysAdmin(actor);
      const id = idOr404(rawId, missing);
      const now = clock.now();
      return inTransaction(db, async (trx) => {
        const job = await lockDead(trx, id, "捨棄");
        await trx
          .updateTable("jobs")
          .set({
            state: "cancelled",
            finished_at: now,
            updated_at: now,
            payload: sql`payload - 'sealed'::text`,
          })
          .where("id", "=", id)
          .execute();
        await writeAudit(trx, actor, now, {
          action: "job.discard",
          targetType: "job",
          targetId: id,
          detail: { kind: job.kind, attempts: job.attempts },
        });
        return { kindLabel: jobKindLabel(job.kind) };
      });
    },
  };
}

export type JobsAdmin = ReturnType<typeof createJobsAdmin>;
