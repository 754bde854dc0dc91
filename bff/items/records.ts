import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Item, ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { notFound } from "../errors.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { startOfTaipeiDay } from "../time.js";
import { type IdParam, parseId, parseInput } from "../validation.js";
import { manageableItem, rangeColumns } from "./queries.js";
import { kindLabels, type RecordFilterInput, recordFilter } from "./schemas.js";

const PAGE = 10;

/** 借用日期 / 派遣日期 from and to, Taipei "YYYY-MM-DD", and the page. */
export type RecordFilter = RecordFilterInput;

/**
 * ITM-4 借用紀錄 and ITM-3 派遣紀錄: the approved bookings of one item (for a driver, the
 * approved car bookings they are dispatched with), and those cancelled after approval, seen by
 * those who may manage the item.
 */
export function createRecords(deps: { db: Database }) {
  const { db } = deps;

  function recordQuery(item: Item, filter: { from: string | null; to: string | null }) {
    let q = db
      .selectFrom("bookings as b")
      .innerJoin("items as bi", "bi.id", "b.item_id")
      .innerJoin("accounts as ap", "ap.id", "b.applicant_id")
      .innerJoin("org_nodes as u", "u.id", "ap.unit_id")
      .leftJoin("items as d", "d.id", "b.driver_id")
      .leftJoin("accounts as dec", "dec.id", "b.decided_by")
      .where(item.kind === "driver" ? "b.driver_id" : "b.item_id", "=", item.id)
      // An approved booking stays in the records when its applicant cancels it (issue 18): the
      // custodian planned around it, and sees who gave the slot back and when.
      .where((eb) =>
        eb.or([
          eb("b.status", "=", "approved"),
          eb.and([eb("b.status", "=", "cancelled"), eb("b.decided_at", "is not", null)]),
        ]),
      );
    const { from, to } = filter;
    const start = from ? startOfTaipeiDay(from) : null;
    const end = to ? new Date(startOfTaipeiDay(to).getTime() + 86_400_000) : null;
    if (start || end) {
      q = q.where(sql<boolean>`b.during && tstzrange(${start}::timestamptz, ${end}::timestamptz, '[)')`);
    }
    return { q, applied: { from: from ?? "", to: to ?? "" } };
  }

  const columns = [
    "b.id",
    "b.reason",
    "b.attendees",
    "b.passengers",
    "b.destination",
    "b.status",
    "b.decided_at",
    "b.decision_comment",
    "b.cancelled_at",
    "b.created_at",
    "bi.name as itemName",
    "bi.plate_no as plateNo",
    "ap.name as applicantName",
    "ap.office_phone as applicantPhone",
    "u.name as unitName",
    "d.name as driverName",
    "dec.name as decidedByName",
    ...rangeColumns,
  ] as const;

  async function list(actor: Actor, kind: ItemKind, itemId: IdParam, raw: RecordFilter) {
    const filter = parseInput(recordFilter, raw);
    const item = await manageableItem(db, actor, kind, itemId);
    const { page } = filter;
    const { q, applied } = recordQuery(item, filter);
    const [rows, total] = await Promise.all([
      q
        .select(columns)
        .orderBy(sql`lower(b.during)`, "desc")
        .orderBy("b.id", "desc")
        .limit(PAGE)
        .offset((page - 1) * PAGE)
        .execute(),
      q.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: total.n, page, pageSize: PAGE, filter: applied };
  }

  /** 詳細: one record of this item, or 404. */
  async function detail(actor: Actor, kind: ItemKind, itemId: IdParam, bookingId: IdParam) {
    const item = await manageableItem(db, actor, kind, itemId);
    const id = parseId(bookingId);
    if (id === null) throw notFound();
    const row = await recordQuery(item, { from: null, to: null })
      .q.select(columns)
      .where("b.id", "=", id)
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  async function exportRecords(actor: Actor, kind: ItemKind, itemId: IdParam, raw: RecordFilter) {
    const filter = parseInput(recordFilter, raw);
    const item = await manageableItem(db, actor, kind, itemId);
    const { q } = recordQuery(item, filter);
    const pageOf = (after: { starts_at: Date; id: number } | null, limit: number) => {
      let page = q.select(columns);
      if (after)
        page = page.where(sql<boolean>`(lower(b.during), b.id) < (${after.starts_at}::timestamptz, ${after.id}::int)`);
      return page
        .orderBy(sql`lower(b.during)`, "desc")
        .orderBy("b.id", "desc")
        .limit(limit)
        .execute();
    };
    type Row = Awaited<ReturnType<typeof pageOf>>[number];
    const dateLabel = kind === "driver" ? "派遣" : "借用";
    const cols: XlsxColumn<Row>[] = [
      { header: `${dateLabel}開始`, width: 18, value: (r) => taipeiDateTime(r.starts_at) },
      { header: `${dateLabel}結束`, width: 18, value: (r) => taipeiDateTime(r.ends_at) },
      ...(kind === "driver"
        ? [{ header: "公務車", width: 20, value: (r: Row) => `${r.itemName}（${r.plateNo ?? ""}）` }]
        : []),
      { header: "申請人", width: 12, value: (r) => r.applicantName },
      { header: "申請單位", width: 18, value: (r) => r.unitName },
      { header: "申請事由", width: 36, value: (r) => r.reason },
      ...(kind === "venue"
        ? [{ header: "使用人數", width: 10, value: (r: Row) => r.attendees }]
        : [
            { header: "乘客人數", width: 10, value: (r: Row) => r.passengers },
            { header: "目的地", width: 20, value: (r: Row) => r.destination ?? "" },
          ]),
      ...(kind === "car" ? [{ header: "司機", width: 12, value: (r: Row) => r.driverName ?? "" }] : []),
      { header: "審核人", width: 12, value: (r) => r.decidedByName ?? "" },
      { header: "審核時間", width: 18, value: (r) => taipeiDateTime(r.decided_at) },
      { header: "審核說明", width: 30, value: (r) => r.decision_comment ?? "" },
      { header: "取消", width: 24, value: (r) => cancelledText(r) },
    ];
    return {
      stream: xlsxStream<Row>({ sheetName: `${dateLabel}紀錄`, columns: cols, rows: keysetRows(pageOf) }),
      headers: attachmentHeaders(`${kindLabels[kind]}_${item.name}_${dateLabel}紀錄.xlsx`),
    };
  }

  return { list, detail, exportRecords };
}

/** 「申請人 取消於 2026/12/04 10:00」 for a record cancelled after approval, else "". */
export function cancelledText(r: { status: string; cancelled_at: Date | null; applicantName: string }): string {
  return r.status === "cancelled" ? `${r.applicantName} 取消於 ${taipeiDateTime(r.cancelled_at)}` : "";
}
