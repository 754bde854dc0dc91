import type { Database, Tx } from "../../db/index.js";
import type { AccountChangeKind } from "../../db/schema/account-console.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { parseDay } from "../items/queries.js";
import { startOfTaipeiDay } from "../time.js";

export const LOG_PAGE_SIZE = 10;

export const changeKindTitle: Record<AccountChangeKind, string> = {
  data: "個人資料異動紀錄",
  unit: "隸屬機關(單位)異動紀錄",
  status: "帳號狀態異動紀錄",
};

export interface FieldChange {
  field: string;
  before: string;
  after: string;
  note?: string;
}

/**
 * Writes one log row per changed field, in the caller's transaction (ACC-12: who, when,
 * field, before → after). Unchanged fields leave no row.
 */
export async function logChanges(
  trx: Tx,
  entry: {
    accountId: number;
    kind: AccountChangeKind;
    actorId: number | null;
    at: Date;
    scheduledChangeId?: number | null;
    changes: FieldChange[];
  },
): Promise<void> {
  const rows = entry.changes
    .filter((c) => c.before !== c.after || c.note)
    .map((c) => ({
      account_id: entry.accountId,
      kind: entry.kind,
      field: c.field,
      before_value: c.before,
      after_value: c.after,
      note: c.note ?? "",
      actor_id: entry.actorId,
      scheduled_change_id: entry.scheduledChangeId ?? null,
      at: entry.at,
    }));
  if (rows.length > 0) await trx.insertInto("account_changes").values(rows).execute();
}

export interface LogFilter {
  from?: unknown; // Taipei "YYYY-MM-DD", inclusive
  to?: unknown;
}

export interface ChangeLogRow {
  id: number;
  at: Date;
  field: string;
  before_value: string;
  after_value: string;
  note: string;
  scheduled_change_id: number | null;
  actorName: string | null;
  actorUsername: string | null;
}

function logQuery(db: Database, accountId: number, kind: AccountChangeKind, filter: LogFilter) {
  let q = db
    .selectFrom("account_changes as c")
    .leftJoin("accounts as x", "x.id", "c.actor_id")
    .where("c.account_id", "=", accountId)
    .where("c.kind", "=", kind);
  const from = parseDay(filter.from);
  const to = parseDay(filter.to);
  if (from) q = q.where("c.at", ">=", startOfTaipeiDay(from));
  if (to) q = q.where("c.at", "<", new Date(startOfTaipeiDay(to).getTime() + 86_400_000));
  return { q, applied: { from: from ?? "", to: to ?? "" } };
}

const columns = [
  "c.id",
  "c.at",
  "c.field",
  "c.before_value",
  "c.after_value",
  "c.note",
  "c.scheduled_change_id",
  "x.name as actorName",
  "x.username as actorUsername",
] as const;

/** A page of one log, newest first, filtered by day range. The caller checks scope. */
export async function changeLogPage(
  db: Database,
  accountId: number,
  kind: AccountChangeKind,
  filter: LogFilter & { page?: unknown },
) {
  const page = Math.max(1, Math.min(100_000, Math.trunc(Number(filter.page)) || 1));
  const { q, applied } = logQuery(db, accountId, kind, filter);
  const [rows, total] = await Promise.all([
    q
      .select(columns)
      .orderBy("c.at", "desc")
      .orderBy("c.id", "desc")
      .limit(LOG_PAGE_SIZE)
      .offset((page - 1) * LOG_PAGE_SIZE)
      .execute() as Promise<ChangeLogRow[]>,
    q.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n), page, pageSize: LOG_PAGE_SIZE, filter: applied };
}

/** One row for the 詳細 view, only when it belongs to this account and log. */
export async function changeLogEntry(db: Database, accountId: number, kind: AccountChangeKind, id: unknown) {
  const key = typeof id === "number" ? String(id) : id;
  if (typeof key !== "string" || !/^\d{1,15}$/.test(key)) return null;
  const row = await logQuery(db, accountId, kind, {})
    .q.select(columns)
    .where("c.id", "=", Number(key))
    .executeTakeFirst();
  return (row as ChangeLogRow | undefined) ?? null;
}

const exportColumns: XlsxColumn<ChangeLogRow>[] = [
  { header: "異動時間", width: 18, value: (r) => taipeiDateTime(r.at) },
  { header: "異動者", width: 18, value: (r) => (r.actorName ? `${r.actorName}（${r.actorUsername}）` : "系統") },
  { header: "欄位", width: 16, value: (r) => r.field },
  { header: "異動前", width: 28, value: (r) => r.before_value },
  { header: "異動後", width: 28, value: (r) => r.after_value },
  { header: "備註", width: 28, value: (r) => r.note },
  { header: "預約生效", value: (r) => (r.scheduled_change_id ? "是" : "否") },
];

/** The whole filtered log as a streamed .xlsx, read by (at, id) keyset. */
export function exportChangeLog(
  db: Database,
  account: { id: number; username: string },
  kind: AccountChangeKind,
  filter: LogFilter,
) {
  const rows = keysetRows<ChangeLogRow>((after, limit) => {
    let q = logQuery(db, account.id, kind, filter).q.select(columns).orderBy("c.at", "desc").orderBy("c.id", "desc");
    if (after)
      q = q.where((eb) =>
        eb.or([eb("c.at", "<", after.at), eb.and([eb("c.at", "=", after.at), eb("c.id", "<", after.id)])]),
      );
    return q.limit(limit).execute() as Promise<ChangeLogRow[]>;
  });
  return {
    stream: xlsxStream({ sheetName: changeKindTitle[kind], columns: exportColumns, rows }),
    headers: attachmentHeaders(`${account.username}_${changeKindTitle[kind]}.xlsx`),
  };
}
