import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { RepairStatus } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { attachmentHeaders, keysetRows, taipeiDateTime, type XlsxColumn, xlsxStream } from "../exports/xlsx.js";
import { parseDay } from "../items/queries.js";
import type { Clock } from "../ports/clock.js";
import { startOfTaipeiDay, taipeiDate } from "../time.js";
import { manageableType } from "./type-queries.js";

const statusLabel: Record<RepairStatus, string> = { pending: "待處理", processed: "已處理", returned: "已退回" };
const STATUSES: RepairStatus[] = ["pending", "processed", "returned"];
/** Up to this many days the volume chart shows days, beyond it months. */
const DAILY_UP_TO = 62;

/** 報修日期 in Taipei wall time, as SQL (Taiwan has no DST: a fixed +8 h, as in bff/time.ts). */
const taipeiWall = sql`(t.created_at AT TIME ZONE 'UTC' + interval '8 hours')`;

export interface Period {
  from?: unknown; // Taipei "YYYY-MM-DD"
  to?: unknown;
}

/** RPR-4 處理狀況: for a period, volume over time, by status, per unit; the .xlsx export. */
export function createRepairStats(deps: { db: Database; clock: Clock }) {
  const { db, clock } = deps;

  /** The period asked for, or this calendar year so far; `to` before `from` is swapped. */
  function period(p: Period) {
    const today = taipeiDate(clock.now());
    let from = parseDay(p.from) ?? `${today.slice(0, 4)}-01-01`;
    let to = parseDay(p.to) ?? today;
    if (to < from) [from, to] = [to, from];
    const start = startOfTaipeiDay(from);
    const end = new Date(startOfTaipeiDay(to).getTime() + 86_400_000);
    return { from, to, start, end };
  }

  function ticketsOf(typeId: number, start: Date, end: Date) {
    return db
      .selectFrom("repair_tickets as t")
      .where("t.type_id", "=", typeId)
      .where("t.created_at", ">=", start)
      .where("t.created_at", "<", end);
  }

  async function statistics(actor: Actor, typeId: unknown, p: Period) {
    const type = await manageableType(db, actor, typeId);
    const { from, to, start, end } = period(p);
    const days = Math.round((end.getTime() - start.getTime()) / 86_400_000);
    const daily = days <= DAILY_UP_TO;
    const bucket = daily
      ? sql<string>`to_char(${taipeiWall}, 'YYYY-MM-DD')`
      : sql<string>`to_char(${taipeiWall}, 'YYYY-MM')`;
    // Volume per bucket and status in one scan, the units in another (both on the type's index).
    const [cells, units] = await Promise.all([
      ticketsOf(type.id, start, end)
        .select([
          bucket.as("bucket"),
          "t.status",
          sql<number>`count(*)::int`.as("n"),
          sql<number>`sum(t.return_count)::int`.as("returns"),
        ])
        .groupBy(sql`1, t.status`)
        .execute(),
      ticketsOf(type.id, start, end)
        .innerJoin("org_nodes as u", "u.id", "t.unit_id")
        .select([
          "u.id",
          "u.name",
          sql<number>`count(*)::int`.as("total"),
          sql<number>`(count(*) FILTER (WHERE t.status = 'pending'))::int`.as("pending"),
          sql<number>`(count(*) FILTER (WHERE t.status = 'processed'))::int`.as("processed"),
          sql<number>`(count(*) FILTER (WHERE t.status = 'returned'))::int`.as("returned"),
        ])
        .groupBy(["u.id", "u.name"])
        .orderBy("total", "desc")
        .orderBy("u.name")
        .limit(200)
        .execute(),
    ]);
    // Every bucket of the period, empty ones included, so the chart's time axis is honest.
    const labels: string[] = [];
    if (daily) {
      for (let d = 0; d < days; d++) labels.push(taipeiDate(new Date(start.getTime() + d * 86_400_000)));
    } else {
      let [y, m] = from.slice(0, 7).split("-").map(Number) as [number, number];
      const last = to.slice(0, 7);
      for (;;) {
        const label = `${y}-${String(m).padStart(2, "0")}`;
        labels.push(label);
        if (label >= last) break;
        m += 1;
        if (m > 12) [y, m] = [y + 1, 1];
      }
    }
    const volume = new Map(labels.map((l) => [l, { label: l, total: 0, pending: 0, processed: 0, returned: 0 }]));
    const byStatus = { pending: 0, processed: 0, returned: 0 };
    let returns = 0;
    for (const c of cells) {
      const row = volume.get(c.bucket);
      const n = Number(c.n);
      if (row) {
        row.total += n;
        row[c.status] += n;
      }
      byStatus[c.status] += n;
      returns += Number(c.returns);
    }
    const total = byStatus.pending + byStatus.processed + byStatus.returned;
    return {
      type: { id: type.id, name: type.name },
      period: { from, to, unit: daily ? ("day" as const) : ("month" as const) },
      total,
      returns,
      byStatus: STATUSES.map((s) => ({ status: s, label: statusLabel[s], count: byStatus[s] })),
      volume: [...volume.values()],
      units: units.map((u) => ({
        id: u.id,
        name: u.name,
        total: Number(u.total),
        pending: Number(u.pending),
        processed: Number(u.processed),
        returned: Number(u.returned),
      })),
    };
  }

  /** The tickets of a period as a streamed .xlsx, the columns exactly as RPR-4 lists them. */
  async function exportTickets(actor: Actor, typeId: unknown, p: Period) {
    const type = await manageableType(db, actor, typeId);
    const { from, to, start, end } = period(p);
    const pageOf = (after: { created_at: Date; id: number } | null, limit: number) => {
      let q = ticketsOf(type.id, start, end)
        .innerJoin("accounts as r", "r.id", "t.reporter_id")
        .innerJoin("org_nodes as u", "u.id", "t.unit_id")
        .innerJoin("sites as s", "s.id", "t.site_id")
        .select([
          "t.id",
          "t.created_at",
          "t.phone",
          "t.floor",
          "t.description",
          "t.status",
          "t.return_count",
          "t.handler_name",
          "t.handled_at",
          "t.result",
          "t.category",
          "r.name as reporterName",
          "u.name as unitName",
          "s.name as siteName",
        ]);
      if (after) q = q.where(sql<boolean>`(t.created_at, t.id) > (${after.created_at}::timestamptz, ${after.id}::int)`);
      return q.orderBy("t.created_at").orderBy("t.id").limit(limit).execute();
    };
    type Row = Awaited<ReturnType<typeof pageOf>>[number];
    const columns: XlsxColumn<Row>[] = [
      { header: "報修類型", width: 20, value: () => type.name },
      { header: "報修單位", width: 18, value: (r) => r.unitName },
      { header: "報修人員", width: 12, value: (r) => r.reporterName },
      { header: "報修人員公務電話", width: 18, value: (r) => r.phone },
      { header: "所在地點", width: 18, value: (r) => r.siteName },
      { header: "所在樓層", width: 10, value: (r) => r.floor },
      { header: "報修日期", width: 18, value: (r) => taipeiDateTime(r.created_at) },
      { header: "故障原因", width: 40, value: (r) => r.description },
      { header: "處理狀況", width: 10, value: (r) => statusLabel[r.status] },
      { header: "退回次數", width: 10, value: (r) => r.return_count },
      { header: "處理狀況詳細", width: 44, value: detailText },
    ];
    return {
      stream: xlsxStream<Row>({ sheetName: "報修紀錄", columns, rows: keysetRows(pageOf, 1000) }),
      headers: attachmentHeaders(`報修紀錄_${type.name}_${from.replace(/-/g, "")}-${to.replace(/-/g, "")}.xlsx`),
    };
  }

  return { statistics, exportTickets, period };
}

/** 處理狀況詳細: 處理人員 / 處理時間 / 處理結果 / 分類, one a line; empty until handled. */
export function detailText(r: {
  status: RepairStatus;
  handler_name: string | null;
  handled_at: Date | null;
  result: string | null;
  category: string | null;
}): string {
  if (r.status !== "processed") return "";
  return [
    `處理人員：${r.handler_name ?? ""}`,
    `處理時間：${taipeiDateTime(r.handled_at)}`,
    `處理結果：${r.result ?? ""}`,
    `分類：${r.category ?? ""}`,
  ].join("\n");
}
