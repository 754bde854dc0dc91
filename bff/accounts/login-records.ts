import type { Database } from "../../db/index.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { parseDay } from "../items/queries.js";
import { startOfTaipeiDay } from "../time.js";
import { actionText, methodText, resultText, text } from "./labels.js";

export const RECORDS_PAGE_SIZE = 10;

/** ACC-12 帳號登入紀錄 filters: time range, and (進階查詢) method, action and result. */
export interface RecordFilter {
  from?: unknown;
  to?: unknown;
  method?: unknown;
  action?: unknown;
  result?: unknown;
}

const known = (labels: Record<string, string>, v: unknown) =>
  typeof v === "string" && Object.hasOwn(labels, v) ? v : "";

export interface RecordRow {
  id: number;
  at: Date;
  method: string;
  action: string;
  result: string;
  ip: string;
  user_agent: string;
  username: string;
}

function recordQuery(db: Database, accountId: number, f: RecordFilter) {
  const applied = {
    from: parseDay(f.from) ?? "",
    to: parseDay(f.to) ?? "",
    method: known(methodText, f.method),
    action: known(actionText, f.action),
    result: known(resultText, f.result),
  };
  let q = db.selectFrom("login_records as r").where("r.account_id", "=", accountId);
  if (applied.from) q = q.where("r.at", ">=", startOfTaipeiDay(applied.from));
  if (applied.to) q = q.where("r.at", "<", new Date(startOfTaipeiDay(applied.to).getTime() + 86_400_000));
  if (applied.method) q = q.where("r.method", "=", applied.method);
  if (applied.action) q = q.where("r.action", "=", applied.action);
  if (applied.result) q = q.where("r.result", "=", applied.result);
  return { q, applied };
}

const columns = ["r.id", "r.at", "r.method", "r.action", "r.result", "r.ip", "r.user_agent", "r.username"] as const;

/** A page of an account's login records, newest first. The caller checks scope. */
export async function loginRecordPage(db: Database, accountId: number, f: RecordFilter & { page?: unknown }) {
  const page = Math.max(1, Math.min(100_000, Math.trunc(Number(f.page)) || 1));
  const { q, applied } = recordQuery(db, accountId, f);
  const [rows, total] = await Promise.all([
    q
      .select(columns)
      .orderBy("r.at", "desc")
      .orderBy("r.id", "desc")
      .limit(RECORDS_PAGE_SIZE)
      .offset((page - 1) * RECORDS_PAGE_SIZE)
      .execute(),
    q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n), page, pageSize: RECORDS_PAGE_SIZE, filter: applied };
}

export async function loginRecordEntry(db: Database, accountId: number, id: unknown) {
  if (typeof id !== "string" || !/^\d{1,12}$/.test(id)) return null;
  return (
    (await db
      .selectFrom("login_records as r")
      .select(columns)
      .where("r.account_id", "=", accountId)
      .where("r.id", "=", Number(id))
      .executeTakeFirst()) ?? null
  );
}

const exportColumns: XlsxColumn<RecordRow>[] = [
  { header: "登入時間", width: 18, value: (r) => taipeiDateTime(r.at) },
  { header: "帳號", width: 18, value: (r) => r.username },
  { header: "登入方式", width: 14, value: (r) => text(methodText, r.method) },
  { header: "動作", value: (r) => text(actionText, r.action) },
  { header: "操作結果", width: 14, value: (r) => text(resultText, r.result) },
  { header: "來源 IP", width: 18, value: (r) => r.ip },
  { header: "瀏覽器", width: 40, value: (r) => r.user_agent },
];

export function exportLoginRecords(db: Database, account: { id: number; username: string }, f: RecordFilter) {
  const rows = keysetRows<RecordRow>((after, limit) => {
    let q = recordQuery(db, account.id, f).q.select(columns).orderBy("r.at", "desc").orderBy("r.id", "desc");
    if (after)
      q = q.where((eb) =>
        eb.or([eb("r.at", "<", after.at), eb.and([eb("r.at", "=", after.at), eb("r.id", "<", after.id)])]),
      );
    return q.limit(limit).execute();
  });
  return {
    stream: xlsxStream({ sheetName: "帳號登入紀錄", columns: exportColumns, rows }),
    headers: attachmentHeaders(`${account.username}_帳號登入紀錄.xlsx`),
  };
}
