import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { notFound } from "../errors.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { escapeLike } from "../items/queries.js";
import { idOr404, parseInput } from "../validation.js";
import type { Clock } from "../ports/clock.js";
import { startOfTaipeiDay } from "../time.js";
import { reviewText, sharedPermissionText, sharedStatusText, sharedTypeText } from "./labels.js";
import { type AppliedFilter, type ListQuery, listQuery, type LogQuery, logQuery as logFilter } from "./schemas.js";
import { administered, isAdmin } from "./scope.js";
import { inTransaction } from "../../db/transaction.js";
import { PAGE_SIZES, pageSizeOf } from "../paging.js";

/** The columns every shared-account row shows (lists, 我的機關及資訊系統帳號, detail). */
export const SUMMARY_COLUMNS = [
  "sa.id",
  "sa.type",
  "sa.username",
  "sa.name",
  "sa.purpose",
  "sa.status",
  "sa.login_permission",
  "sa.review_status",
] as const;

/** Ten rows a page, like every console list (the manual). */
export const PAGE_SIZE = 10;

/** Filters read leniently (listQuery): an unknown value means "all", never an error page. */
function applyFilter(raw: ListQuery) {
  const { page, ...filter } = parseInput(listQuery, raw);
  return { page, filter };
}
type Applied = AppliedFilter;

/**
 * The admin list (機關及郵件系統帳號管理), the review list (…審核), the data and status
 * change logs, and their streamed .xlsx exports. Every export is audited.
 */
export function createSharedLists(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  function base(actor: Actor, f: Applied) {
    let q = db
      .selectFrom("shared_accounts as sa")
      .innerJoin("org_nodes as ag", "ag.id", "sa.agency_id")
      .innerJoin("accounts as c", "c.id", "sa.custodian_account_id")
      .where(administered(actor));
    if (f.type) q = q.where("sa.type", "=", f.type);
    if (f.status) q = q.where("sa.status", "=", f.status);
    if (f.permission) q = q.where("sa.login_permission", "=", f.permission);
    if (f.review) q = q.where("sa.review_status", "=", f.review);
    if (f.q) {
      const like = `%${escapeLike(f.q)}%`;
      q = q.where((eb) =>
        eb.or([
          eb("sa.username", "ilike", like),
          eb("sa.name", "ilike", like),
          eb("sa.purpose", "ilike", like),
          eb("c.name", "ilike", like),
        ]),
      );
    }
    return q.select([
      ...SUMMARY_COLUMNS,
      "sa.agency_id",
      "sa.created_at",
      "sa.reviewed_at",
      "ag.name as agencyName",
      "c.name as custodianName",
    ]);
  }

  async function page(actor: Actor, raw: ListQuery & { size?: unknown }) {
    if (!isAdmin(actor)) throw notFound();
    const { page: p, filter: f } = applyFilter(raw);
    const size = pageSizeOf(raw.size);
    const q = base(actor, f);
    const [rows, total] = await Promise.all([
      q
        .orderBy("sa.id", "desc")
        .limit(size)
        .offset((p - 1) * size)
        .execute(),
      q
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n), page: p, pageSize: size, pageSizes: PAGE_SIZES, filter: f };
  }

  /** 機關及郵件系統帳號管理: keyword, type, status, login permission. */
  const list = (actor: Actor, raw: ListQuery) => page(actor, { ...raw, review: undefined });
  /** 機關及郵件系統帳號審核: keyword, type, review status. */
  const reviews = (actor: Actor, raw: ListQuery) =>
    page(actor, { q: raw.q, type: raw.type, review: raw.review, page: raw.page });

  type Row = Awaited<ReturnType<ReturnType<typeof base>["execute"]>>[number];
  const columns: XlsxColumn<Row>[] = [
    { header: "類型", width: 14, value: (r) => sharedTypeText[r.type] },
    { header: "帳號", width: 18, value: (r) => r.username },
    { header: "帳號名稱", width: 20, value: (r) => r.name },
    { header: "用途說明", width: 30, value: (r) => r.purpose },
    { header: "隸屬機關", width: 22, value: (r) => r.agencyName },
    { header: "保管人", width: 12, value: (r) => r.custodianName },
    { header: "帳號狀態", width: 10, value: (r) => sharedStatusText[r.status] },
    { header: "帳號登入許可狀態", width: 16, value: (r) => sharedPermissionText[r.login_permission] },
    { header: "審核狀態", width: 10, value: (r) => reviewText[r.review_status] },
    { header: "申請時間", width: 18, value: (r) => taipeiDateTime(r.created_at) },
    { header: "審核時間", width: 18, value: (r) => taipeiDateTime(r.reviewed_at) },
  ];

  async function exportRows(actor: Actor, f: Applied, what: "list" | "reviews") {
    if (!isAdmin(actor)) throw notFound();
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, clock.now(), {
        action: `shared_account.export_${what}`,
        targetType: "shared_account",
        targetId: actor.role === "sys_admin" ? "all" : actor.agencyId,
        detail: { filter: f },
      }),
    );
    const fetch = (after: { id: number } | null, limit: number) => {
      let q = base(actor, f);
      if (after) q = q.where("sa.id", "<", after.id);
      return q.orderBy("sa.id", "desc").limit(limit).execute();
    };
    const title = what === "list" ? "機關及郵件系統帳號" : "機關及郵件系統帳號審核";
    return {
      stream: xlsxStream<Row>({ sheetName: title, columns, rows: keysetRows(fetch, 1000) }),
      headers: attachmentHeaders(`${title}.xlsx`),
    };
  }

  const exportList = (actor: Actor, raw: ListQuery) =>
    exportRows(actor, applyFilter({ ...raw, review: undefined }).filter, "list");
  const exportReviews = (actor: Actor, raw: ListQuery) =>
    exportRows(actor, applyFilter({ q: raw.q, type: raw.type, review: raw.review }).filter, "reviews");

  /** The shared account if the actor administers it, else 404. */
  async function administeredId(actor: Actor, rawId: unknown) {
    const id = idOr404(rawId);
    if (!isAdmin(actor)) throw notFound();
    const row = await db
      .selectFrom("shared_accounts as sa")
      .select(["sa.id", "sa.username"])
      .where("sa.id", "=", id)
      .where(administered(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  function logQuery(id: number, kind: "data" | "status", f: { from: string | null; to: string | null }) {
    const { from, to } = f;
    let q = db
      .selectFrom("shared_account_changes as ch")
      .leftJoin("accounts as by", "by.id", "ch.changed_by")
      .where("ch.shared_account_id", "=", id)
      .where("ch.kind", "=", kind)
      .select(["ch.id", "ch.at", "ch.field", "ch.before", "ch.after", "ch.reason", "by.name as byName"]);
    if (from) q = q.where("ch.at", ">=", startOfTaipeiDay(from));
    if (to) q = q.where("ch.at", "<", new Date(startOfTaipeiDay(to).getTime() + 86_400_000));
    return { q, applied: { from: from ?? "", to: to ?? "" } };
  }

  /** 資料異動紀錄 (kind "data") or 帳號狀態異動紀錄 (kind "status"), newest first, by 異動時間. */
  async function changeLog(actor: Actor, rawId: unknown, kind: "data" | "status", raw: LogQuery) {
    const { page: p, ...f } = parseInput(logFilter, raw);
    const { id } = await administeredId(actor, rawId);
    const { q, applied } = logQuery(id, kind, f);
    const [rows, total] = await Promise.all([
      q
        .orderBy("ch.at", "desc")
        .orderBy("ch.id", "desc")
        .limit(10)
        .offset((p - 1) * 10)
        .execute(),
      q
        .clearSelect()
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n), page: p, pageSize: 10, filter: applied };
  }

  async function exportChangeLog(actor: Actor, rawId: unknown, kind: "data" | "status", raw: LogQuery) {
    const f = parseInput(logFilter, raw);
    const shared = await administeredId(actor, rawId);
    const { applied } = logQuery(shared.id, kind, f);
    await inTransaction(db, (trx) =>
      writeAudit(trx, actor, clock.now(), {
        action: `shared_account.export_${kind}_log`,
        targetType: "shared_account",
        targetId: shared.id,
        detail: { filter: applied },
      }),
    );
    const fetch = (after: { at: Date; id: number } | null, limit: number) => {
      let q = logQuery(shared.id, kind, f).q;
      if (after) q = q.where(sql<boolean>`(ch.at, ch.id) < (${after.at}::timestamptz, ${after.id}::bigint)`);
      return q.orderBy("ch.at", "desc").orderBy("ch.id", "desc").limit(limit).execute();
    };
    type LogRow = Awaited<ReturnType<typeof fetch>>[number];
    const title = kind === "data" ? "資料異動紀錄" : "帳號狀態異動紀錄";
    return {
      stream: xlsxStream<LogRow>({
        sheetName: title,
        columns: [
          { header: "異動時間", width: 18, value: (r) => taipeiDateTime(r.at) },
          { header: "異動項目", width: 16, value: (r) => r.field },
          { header: "異動前", width: 24, value: (r) => r.before },
          { header: "異動後", width: 24, value: (r) => r.after },
          { header: "原因", width: 30, value: (r) => r.reason },
          { header: "執行人", width: 12, value: (r) => r.byName ?? "" },
        ],
        rows: keysetRows(fetch, 1000),
      }),
      headers: attachmentHeaders(`${shared.username}_${title}.xlsx`),
    };
  }

  return { list, reviews, exportList, exportReviews, changeLog, exportChangeLog };
}
