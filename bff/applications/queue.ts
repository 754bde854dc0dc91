import { type ExpressionBuilder, sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { DB } from "../../db/schema.js";
import type { ApplicationType } from "../../db/schema/account-applications.js";
import type { Actor } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import { cleanText } from "../text.js";
import { startOfTaipeiDay, taipeiDate } from "../time.js";
import { typeLabels } from "./deps.js";
import { parseId } from "../validation.js";

/**
 * Still waiting for a decision: 未審核, or scheduled but the scheduled change was cancelled
 * on the 預約管理作業 page or failed its re-check (then it is reviewed again).
 */
export const reviewableSql = (alias: "aa" | "account_applications") =>
  sql<boolean>`(${sql.ref(`${alias}.status`)} = 'pending' OR (${sql.ref(`${alias}.status`)} = 'scheduled' AND EXISTS (SELECT 1 FROM scheduled_changes sc WHERE sc.id = ${sql.ref(`${alias}.scheduled_change_id`)} AND sc.state IN ('cancelled', 'failed'))))`;

/** What the queue shows as 審核結果. */
export const resultSql = sql<string>`CASE WHEN ${reviewableSql("aa")} THEN 'pending' ELSE aa.status END`;

/** Who may review: a system admin everything, an agency admin their own agency, nobody else. */
export function canReview(actor: Actor): boolean {
  return actor.role === "sys_admin" || actor.role === "agency_admin";
}

export function scopeFilter(actor: Actor) {
  return (eb: ExpressionBuilder<DB & { aa: DB["account_applications"] }, "aa">) =>
    actor.role === "sys_admin" ? eb.lit(true) : eb("aa.agency_id", "=", actor.agencyId);
}

/** The queue's base: applications joined to the applicant's account (when one exists). */
export function queueBase(db: Database, actor: Actor) {
  if (!canReview(actor)) throw notFound();
  return db
    .selectFrom("account_applications as aa")
    .innerJoin("org_nodes as ag", "ag.id", "aa.agency_id")
    .innerJoin("org_nodes as u", "u.id", "aa.unit_id")
    .leftJoin("accounts as a", "a.id", "aa.account_id")
    .leftJoin("org_nodes as cu", "cu.id", "a.unit_id")
    .leftJoin("org_nodes as cag", "cag.id", "cu.agency_id")
    .leftJoin("accounts as d", "d.id", "aa.decided_by")
    .where(scopeFilter(actor));
}

export const TYPES = ["activation", "reactivation", "agency_change", "role_change"] as const;
export const RESULTS = ["pending", "scheduled", "approved", "rejected"] as const;
/** Ten rows a page, like every console list (the manual). */
export const PAGE_SIZE = 10;

export interface QueueFilters {
  type: ApplicationType | "";
  q: string;
  from: string;
  to: string;
  result: (typeof RESULTS)[number] | "";
  page: number;
}

const DATE_RE = /^20\d{2}-\d{2}-\d{2}$/;

/** The search form (ACC-13): bad values are named, the rest still searched. */
export function parseFilters(input: Record<string, unknown>): {
  filters: QueueFilters;
  errors: Record<string, string>;
} {
  const s = (k: string) => (typeof input[k] === "string" ? (input[k] as string).trim() : "");
  const errors: Record<string, string> = {};
  const type = (TYPES as readonly string[]).includes(s("type")) ? (s("type") as ApplicationType) : "";
  const result = (RESULTS as readonly string[]).includes(s("result")) ? (s("result") as QueueFilters["result"]) : "";
  const date = (k: "from" | "to") => {
    const v = s(k);
    if (v === "") return "";
    const t = DATE_RE.test(v) ? startOfTaipeiDay(v) : null;
    if (!t || Number.isNaN(t.getTime()) || taipeiDate(t) !== v) {
      errors[k] = "日期格式錯誤，請用 YYYY-MM-DD";
      return "";
    }
    return v;
  };
  const from = date("from");
  const to = date("to");
  if (from && to && from > to) errors.to = "結束日期不可早於開始日期";
  const page = Math.min(Math.max(1, Math.floor(Number(s("page")) || 1)), 100_000);
  return { filters: { type, q: cleanText(s("q"), 50), from, to: errors.to ? "" : to, result, page }, errors };
}

/** Applies the search to a queue query. Keyword hits the trigram index's expression. */
export function withFilters<Q extends ReturnType<typeof queueBase>>(q: Q, f: QueueFilters): Q {
  let out = q;
  if (f.type) out = out.where("aa.type", "=", f.type) as Q;
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    out = out.where(sql<boolean>`(aa.username || ' ' || aa.name || ' ' || aa.title) ILIKE ${like}`) as Q;
  }
  if (f.from) out = out.where("aa.submitted_at", ">=", startOfTaipeiDay(f.from)) as Q;
  if (f.to) out = out.where("aa.submitted_at", "<", new Date(startOfTaipeiDay(f.to).getTime() + 86_400_000)) as Q;
  if (f.result === "pending") out = out.where(reviewableSql("aa")) as Q;
  else if (f.result === "scheduled")
    out = out.where("aa.status", "=", "scheduled").where(sql<boolean>`NOT ${reviewableSql("aa")}`) as Q;
  else if (f.result) out = out.where("aa.status", "=", f.result) as Q;
  return out;
}

/** The columns every queue view shows. */
export function queueColumns(q: ReturnType<typeof queueBase>) {
  return q.select([
    "aa.id",
    "aa.type",
    resultSql.as("result"),
    "aa.submitted_at",
    "aa.username",
    "aa.name",
    "aa.title",
    "aa.office_phone",
    "aa.office_ext",
    "aa.work_address",
    "aa.backup_email",
    "aa.needs_official_mail",
    "aa.reason",
    "aa.agency_id",
    "ag.name as agencyName",
    "u.name as unitName",
    sql<string>`COALESCE(a.role, 'user')`.as("role"),
    sql<string>`COALESCE(a.status, 'inactive')`.as("accountStatus"),
    "cag.name as currentAgencyName",
    "cu.name as currentUnitName",
    "aa.decided_at",
    "aa.effective_at",
    "aa.decision_comment",
    "d.name as deciderName",
  ]);
}

export type QueueRow = Awaited<ReturnType<ReturnType<typeof queueColumns>["execute"]>>[number];

/**
 * ACC-13 batch rule: every selected application 未審核, sharing role, account status,
 * agency and mail-use. Returns the first broken rule's message, naming it.
 */
export function batchRuleBroken(
  rows: {
    username: string;
    reviewable: boolean;
    role: string;
    accountStatus: string;
    agency_id: number;
    needs_official_mail: boolean;
  }[],
): string | null {
  const decided = rows.filter((r) => !r.reviewable).map((r) => r.username);
  if (decided.length > 0)
    return `批次審核限「未審核」的申請；${decided.slice(0, 5).join("、")}${decided.length > 5 ? " 等" : ""} 已審核。`;
  if (rows.length < 2) return null;
  const same = (k: "role" | "accountStatus" | "agency_id" | "needs_official_mail") =>
    new Set(rows.map((r) => r[k])).size === 1;
  if (!same("role")) return "批次審核的申請須為相同權限，請分開審核。";
  if (!same("accountStatus")) return "批次審核的申請須為相同帳號狀態，請分開審核。";
  if (!same("agency_id")) return "批次審核的申請須屬於相同機關，請分開審核。";
  if (!same("needs_official_mail"))
    return "批次審核的申請須為相同郵件使用狀態（都使用或都不使用公務郵件），請分開審核。";
  return null;
}

/** Selected ids from a form: unique positive integers, at most `max`. */
export function parseIds(values: unknown[], max: number): number[] {
  const ids = [...new Set(values.map(parseId).filter((n): n is number => n !== null))];
  if (ids.length === 0) throw new DomainError("invalid", "請勾選要審核的申請。");
  if (ids.length > max) throw new DomainError("invalid", `一次最多審核 ${max} 筆，請分批處理。`);
  return ids;
}

export const typeLabelOf = (t: ApplicationType) => typeLabels[t];
