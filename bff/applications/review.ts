import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import type { HomeCount } from "../home/service.js";
import type { DecisionInput, InboxEntry, ReviewSource } from "../reviews/inbox.js";
import { scheduleChange } from "../scheduled/changes.js";
import type { ScheduledExecutors } from "../scheduled/types.js";
import { cleanText } from "../text.js";
import { parseTaipeiLocal, taipeiDate } from "../time.js";
import { type ApplicationDeps, resultLabels, typeLabels } from "./deps.js";
import { type ApplicationRow, applyApproval, applyRejection, checkAgencyChange, ensureNewAccount } from "./effects.js";
import {
  batchRuleBroken,
  canReview,
  parseFilters,
  parseIds,
  queueBase,
  queueColumns,
  type QueueRow,
  reviewableSql,
  scopeFilter,
  withFilters,
} from "./queue.js";
import { inTransaction } from "../../db/transaction.js";
import { PAGE_SIZES, pageSizeOf } from "../paging.js";

/** The scheduled-change type of a 預約生效 review decision (ACC-9). */
export const DECIDE_TYPE = "application.decide";
/** The most applications one batch review decides (the batch is one transaction). */
export const BATCH_MAX = 500;

const roleLabel: Record<string, string> = { user: "一般使用者", agency_admin: "機關管理者", sys_admin: "系統管理者" };
const statusLabel: Record<string, string> = { enabled: "啟用", disabled: "停用", inactive: "未啟用" };

export interface DecideInput {
  decision: unknown;
  /** "1" / "0": the reviewer's confirmation of 是否需要使用公務郵件. */
  needsOfficialMail?: unknown;
  /** "now" (立即生效) or "scheduled" (預約生效). */
  effective?: unknown;
  /** Taipei "YYYY-MM-DDTHH:MM" for 預約生效. */
  executeAt?: unknown;
  comment?: unknown;
}

interface ParsedDecision {
  decision: "approve" | "reject";
  needsOfficialMail: boolean | null;
  executeAt: Date | null;
  comment: string;
}

function parseDecision(input: DecideInput, now: Date): ParsedDecision {
  const fields: Record<string, string> = {};
  const decision = input.decision === "approve" ? "approve" : input.decision === "reject" ? "reject" : null;
  if (!decision) fields.decision = "請選擇通過或駁回";
  const mail = input.needsOfficialMail;
  const needsOfficialMail =
    mail === "1" ? true : mail === "0" ? false : mail === undefined || mail === "" ? null : undefined;
  if (needsOfficialMail === undefined) fields.needsOfficialMail = "請確認是否需要使用公務郵件";
  const effective = input.effective === undefined || input.effective === "" ? "now" : input.effective;
  let executeAt: Date | null = null;
  if (effective === "scheduled") {
    executeAt = parseTaipeiLocal(input.executeAt);
    if (!executeAt) fields.executeAt = "請選擇預約生效時間";
    else if (executeAt.getTime() <= now.getTime()) fields.executeAt = "預約生效時間必須晚於現在";
  } else if (effective !== "now") fields.effective = "請選擇生效時間";
  const comment = cleanText(input.comment, 500).trim();
  if (typeof input.comment === "string" && input.comment.length > 500) fields.comment = "審核說明不可超過 500 字";
  if (decision === "reject" && comment === "") fields.comment = "駁回時請填寫審核說明";
  if (Object.keys(fields).length > 0) throw new DomainError("invalid", "請修正標示的欄位。", fields);
  return { decision: decision!, needsOfficialMail: needsOfficialMail ?? null, executeAt, comment };
}

/** ACC-13 個人公務帳號審核: the queue, its export, single and batch decisions. */
export function createReviewQueue(deps: ApplicationDeps) {
  const { db, clock } = deps;

  async function list(actor: Actor, input: Record<string, unknown>) {
    const { filters, errors } = parseFilters(input);
    const size = pageSizeOf(input.size);
    const rows = await withFilters(queueColumns(queueBase(db, actor)), filters)
      .select(sql<number>`count(*) OVER ()`.as("total"))
      .orderBy("aa.submitted_at", "desc")
      .orderBy("aa.id", "desc")
      .limit(size)
      .offset((filters.page - 1) * size)
      .execute();
    const total = rows.length > 0 ? Number(rows[0]!.total) : 0;
    return { filters, errors, rows, total, page: filters.page, pageSize: size, pageSizes: PAGE_SIZES };
  }

  /** One application in the actor's scope, or 404. */
  async function get(actor: Actor, id: unknown) {
    const n = Number(typeof id === "string" || typeof id === "number" ? id : NaN);
    if (!Number.isSafeInteger(n) || n <= 0 || n > 2_147_483_647) throw notFound();
    const row = await queueColumns(queueBase(db, actor)).where("aa.id", "=", n).executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  /** Streams the whole filtered result as .xlsx, and records who exported what (PRT-5). */
  async function exportXlsx(actor: Actor, input: Record<string, unknown>) {
    const { filters } = parseFilters(input);
    const base = withFilters(queueColumns(queueBase(db, actor)), filters);
    const now = clock.now();
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, now, {
        action: "account_application.export",
        targetType: "account_application",
        targetId: "*",
        detail: { filters: { ...filters, page: undefined } },
      }),
    );
    const pageOf = (after: QueueRow | null, limit: number) =>
      (after
        ? base.where(sql<boolean>`(aa.submitted_at, aa.id) < (${after.submitted_at}::timestamptz, ${after.id}::int)`)
        : base
      )
        .orderBy("aa.submitted_at", "desc")
        .orderBy("aa.id", "desc")
        .limit(limit)
        .execute();
    const columns: XlsxColumn<QueueRow>[] = [
      { header: "審核類型", width: 12, value: (r) => typeLabels[r.type] },
      { header: "審核結果", width: 12, value: (r) => resultLabels[r.result as keyof typeof resultLabels] ?? r.result },
      { header: "申請時間", width: 18, value: (r) => taipeiDateTime(r.submitted_at) },
      { header: "帳號", width: 16, value: (r) => r.username },
      { header: "姓名", width: 12, value: (r) => r.name },
      { header: "職稱", width: 14, value: (r) => r.title },
      { header: "申請機關", width: 20, value: (r) => r.agencyName },
      { header: "申請單位", width: 20, value: (r) => r.unitName },
      {
        header: "公務電話",
        width: 16,
        value: (r) => (r.office_ext ? `${r.office_phone} 分機 ${r.office_ext}` : r.office_phone),
      },
      { header: "權限", width: 12, value: (r) => roleLabel[r.role] ?? r.role },
      { header: "帳號狀態", width: 10, value: (r) => statusLabel[r.accountStatus] ?? r.accountStatus },
      { header: "需要公務郵件", width: 12, value: (r) => (r.needs_official_mail ? "是" : "否") },
      { header: "審核者", width: 12, value: (r) => r.deciderName ?? "" },
      { header: "審核時間", width: 18, value: (r) => taipeiDateTime(r.decided_at) },
      { header: "生效時間", width: 18, value: (r) => taipeiDateTime(r.effective_at) },
      { header: "審核說明", width: 30, value: (r) => r.decision_comment ?? "" },
    ];
    return {
      stream: xlsxStream<QueueRow>({ sheetName: "個人公務帳號審核", columns, rows: keysetRows(pageOf, 1000) }),
      headers: attachmentHeaders(`個人公務帳號審核_${taipeiDate(now).replace(/-/g, "")}.xlsx`),
    };
  }

  /** The selected applications, locked, in scope; any id outside it is a 404 for all. */
  async function lockSelected(trx: Tx, actor: Actor, ids: number[]) {
    if (!canReview(actor)) throw notFound();
    const rows = await trx
      .selectFrom("account_applications as aa")
      .leftJoin("accounts as a", "a.id", "aa.account_id")
      .selectAll("aa")
      .select([
        reviewableSql("aa").as("reviewable"),
        sql<string>`COALESCE(a.role, 'user')`.as("role"),
        sql<string>`COALESCE(a.status, 'inactive')`.as("accountStatus"),
      ])
      .where("aa.id", "in", ids)
      .where(scopeFilter(actor))
      .orderBy("aa.id")
      .forUpdate("aa")
      .execute();
    if (rows.length !== ids.length) throw notFound();
    return rows;
  }

  /** The batch rules, checked before the confirmation dialog opens (nothing locked). */
  async function checkBatch(actor: Actor, rawIds: unknown[]) {
    const ids = parseIds(rawIds, BATCH_MAX);
    const rows = await inTransaction(db, (trx) => lockSelected(trx, actor, ids));
    const broken = batchRuleBroken(rows);
    if (broken) throw new DomainError("conflict", broken);
    return {
      ids,
      needsOfficialMail: rows[0]!.needs_official_mail,
      summary: rows.map((r) => ({ id: r.id, type: r.type, username: r.username, name: r.name })),
    };
  }

  /**
   * Decides one or many applications in one transaction: the rules, then a conditional
   * update per application (decide once, even under two reviewers at once), then the
   * effect now, or a scheduled change for 預約生效. A refusal changes nothing.
   */
  async function decide(actor: Actor, rawIds: unknown[], input: DecideInput) {
    const now = clock.now();
    const d = parseDecision(input, now);
    const ids = parseIds(rawIds, BATCH_MAX);
    return inTransaction(db, async (trx) => {
      const rows = await lockSelected(trx, actor, ids);
      if (rows.length === 1 && !rows[0]!.reviewable) throw new DomainError("conflict", "此申請已審核，無法再次審核。");
      if (rows.some((r) => r.account_id === actor.accountId)) throw new DomainError("invalid", "不可審核自己的申請。");
      const broken = batchRuleBroken(rows);
      if (broken) throw new DomainError("conflict", broken);
      const results: { id: number; message: string }[] = [];
      for (const row of rows) results.push({ id: row.id, message: await decideOne(trx, actor, row, d, now) });
      return { decision: d.decision, scheduled: d.executeAt !== null && d.decision === "approve", results };
    });
  }

  async function decideOne(trx: Tx, actor: Actor, row: ApplicationRow, d: ParsedDecision, now: Date) {
    const mail = d.needsOfficialMail ?? row.needs_official_mail;
    const status = d.decision === "reject" ? "rejected" : d.executeAt ? "scheduled" : "approved";
    const claimed = await trx
      .updateTable("account_applications")
      .set({
        status,
        decided_by: actor.accountId,
        decided_at: now,
        decision_comment: d.comment || null,
        needs_official_mail: mail,
        effective_at: d.decision === "approve" ? (d.executeAt ?? now) : now,
      })
      .where("id", "=", row.id)
      .where(reviewableSql("account_applications"))
      .returningAll()
      .executeTakeFirst();
    if (!claimed) throw new DomainError("conflict", `申請「${row.username}」已由他人審核，請重新整理。`);
    let message: string;
    if (d.decision === "reject") {
      await applyRejection(deps, trx, claimed, d.comment, now);
      message = "已駁回";
    } else if (d.executeAt) {
      // Refused now what would be refused at its time anyway (ACC-4/8); checked again then.
      await checkAgencyChange(trx, claimed);
      // The account a scheduled change is about must exist: a new one is made now, 未啟用.
      const accountId = await ensureNewAccount(deps, trx, claimed, mail, actor.accountId, now);
      const changeId = await scheduleChange(trx, {
        type: DECIDE_TYPE,
        targetAccountId: accountId,
        agencyId: claimed.agency_id,
        executeAt: d.executeAt,
        payload: { applicationId: claimed.id, applicationType: claimed.type, username: claimed.username },
        createdBy: actor.accountId,
        now,
      });
      await trx
        .updateTable("account_applications")
        .set({ scheduled_change_id: changeId, account_id: accountId })
        .where("id", "=", claimed.id)
        .execute();
      message = `預約於 ${taipeiDateTime(d.executeAt)} 生效`;
    } else {
      message = await applyApproval(deps, trx, claimed, mail, actor.accountId, now);
    }
    await writeAudit(trx, actor, now, {
      action: `account_application.${d.decision}`,
      targetType: "account_application",
      targetId: row.id,
      detail: {
        type: row.type,
        username: row.username,
        needsOfficialMail: mail,
        effective: d.executeAt ? taipeiDateTime(d.executeAt) : "立即生效",
        comment: d.comment || undefined,
      },
    });
    return message;
  }

  /**
   * ACC-9: a scheduled approval carried out by the scheduled-changes runner, in its
   * transaction. Claimed with a conditional update (exactly once); the account's state is
   * checked again by applyApproval, and a refusal throws (the change is marked failed and
   * the application returns to 未審核).
   */
  const scheduledExecutors: ScheduledExecutors = {
    async [DECIDE_TYPE](trx, change, now) {
      const applicationId = Number(change.payload.applicationId);
      const app = await trx
        .updateTable("account_applications")
        .set({ status: "approved", effective_at: now })
        .where("id", "=", applicationId)
        .where("status", "=", "scheduled")
        .where("scheduled_change_id", "=", change.id)
        .returningAll()
        .executeTakeFirst();
      if (!app) throw new DomainError("conflict", "申請已不在預約生效狀態，未變更。");
      return applyApproval(deps, trx, app, app.needs_official_mail, change.createdBy, now);
    },
  };

  /** The approvals inbox's view: decided there at once, with the application's own mail-use. */
  const reviewSource: ReviewSource = {
    kind: "account_application",
    label: "個人公務帳號審核",
    async pending(actor, limit): Promise<InboxEntry[]> {
      if (!canReview(actor)) return [];
      const rows = await queueColumns(queueBase(db, actor))
        .where(reviewableSql("aa"))
        .orderBy("aa.submitted_at", "desc")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        kind: "account_application",
        id: r.id,
        kindLabel: typeLabels[r.type],
        title: `${r.name}（${r.username}）`,
        summary: `${r.agencyName} › ${r.unitName}`,
        reason: r.reason,
        submittedAt: r.submitted_at,
        href: `/admin/account-reviews?focus=${r.id}`,
      }));
    },
    count: (actor, inTrx) => pendingCount(actor, inTrx),
    async decide(actor, id, input: DecisionInput, trx) {
      const run = (t: Tx) => decideWithin(t, actor, id, input);
      return trx ? run(trx) : inTransaction(db, run);
    },
    async describe(actor, id) {
      const r = await get(actor, id);
      return { title: `${typeLabels[r.type]}申請`, who: r.name };
    },
  };

  async function decideWithin(trx: Tx, actor: Actor, id: number, input: DecisionInput) {
    const now = clock.now();
    const d = parseDecision({ decision: input.decision, comment: input.comment }, now);
    const rows = await lockSelected(trx, actor, [id]);
    if (!rows[0]!.reviewable) throw new DomainError("conflict", "此申請已審核，無法再次審核。");
    if (rows[0]!.account_id === actor.accountId) throw new DomainError("invalid", "不可審核自己的申請。");
    await decideOne(trx, actor, rows[0]!, d, now);
    return { status: d.decision === "approve" ? "approved" : "rejected" };
  }

  async function pendingCount(actor: Actor, inTrx?: Database): Promise<number> {
    if (!canReview(actor)) return 0;
    const row = await (inTrx ?? db)
      .selectFrom("account_applications as aa")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where(scopeFilter(actor))
      .where(reviewableSql("aa"))
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** PRT-1: what waits for an admin, and the user's own open applications. */
  async function homeCounts(inDb: Database, actor: Actor): Promise<HomeCount[]> {
    const mine = await inDb
      .selectFrom("account_applications")
      .select((eb) => eb.fn.countAll<number>().as("n"))
      .where("account_id", "=", actor.accountId)
      .where("status", "in", ["pending", "scheduled"])
      .executeTakeFirstOrThrow();
    const counts: HomeCount[] = [];
    if (canReview(actor))
      counts.push({
        key: "account-reviews",
        label: "待審核的帳號申請",
        count: await pendingCount(actor, inDb),
        href: "/admin/account-reviews?result=pending",
      });
    if (Number(mine.n) > 0)
      counts.push({
        key: "account-applications-mine",
        label: "我的帳號申請（審核中）",
        count: Number(mine.n),
        href: "/me/applications",
      });
    return counts;
  }

  return {
    list,
    get,
    exportXlsx,
    checkBatch,
    decide,
    scheduledExecutors,
    reviewSource,
    pendingCount,
    homeCounts,
    parseFilters,
  };
}
