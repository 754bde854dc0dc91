import { sql } from "kysely";
import type { Actor } from "../actor.js";
import { DomainError } from "../errors.js";
import { bookableBy } from "../items/visibility.js";
import { startOfTaipeiDay } from "../time.js";
import { parseInput } from "../validation.js";
import { type BookingDeps, tsRange } from "./deps.js";
import { BOOKING_HORIZON_DAYS, type FindFreeQuery, findFreeQuery } from "./schemas.js";

const PAGE_SIZE = 10;
const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

/**
 * 找空場地 (issue 18): 「週四 14:00–16:00 哪間會議室可以借，要坐 20 人？」 — the venues (or cars)
 * I may book that are free for the whole range, open for all of it and big enough; the
 * smallest that fits first (a 20-person meeting should not take the 200-seat hall), then by
 * name. One query: the exclusion constraint's GiST index answers "is anything held there"
 * per item, so the database never sends the taken ranges back. (The statuses are written out,
 * as HOLDING is, so the planner sees the partial index's own WHERE and may use it.)
 */
export function createFindFree(deps: BookingDeps) {
  const { db, clock } = deps;

  async function findFree(actor: Actor, raw: FindFreeQuery) {
    const q = parseInput(findFreeQuery, raw, "搜尋條件有誤，請修正標示的欄位。");
    const dayStart = startOfTaipeiDay(q.date);
    const start = new Date(dayStart.getTime() + minutes(q.start) * MINUTE_MS);
    const end = new Date(dayStart.getTime() + minutes(q.end) * MINUTE_MS);
    const now = clock.now();
    if (end <= now) throw new DomainError("invalid", "這個時段已經過去，請選擇未來的時間。", { start: "時段已經過去" });
    if (start.getTime() - now.getTime() > BOOKING_HORIZON_DAYS * DAY_MS)
      throw new DomainError("invalid", `只能預約 ${BOOKING_HORIZON_DAYS} 天內的時段。`, { date: "超過可預約的期間" });
    const size = q.kind === "venue" ? sql.ref("i.capacity") : sql.ref("i.passenger_limit");
    let query = // Open for the whole range (no hours set means always open).
      db
        .selectFrom("items as i")
        .innerJoin("org_nodes as ag", "ag.id", "i.agency_id")
        .innerJoin("sites as s", "s.id", "i.site_id")
        .where("i.kind", "=", q.kind)
        .where(bookableBy(actor)).where(sql<boolean>`(i.open_from is null or i.open_to is null
        or (i.open_from <= ${q.start}::time and i.open_to >= ${q.end}::time))`).where(sql<boolean>`not exists (
        select 1 from bookings b where b.item_id = i.id and b.status in ('pending', 'approved')
          and b.during && ${tsRange(start, end)})`);
    if (q.people !== null) query = query.where(sql<boolean>`coalesce(${size}, 2147483647) >= ${q.people}::int`);
    if (q.siteId !== null) query = query.where("i.site_id", "=", q.siteId);
    // One pass: the total rides along on each row (a window count), instead of a second
    // query that would test every venue again; only a page past the end needs the count alone.
    const found = await query
      .select([
        "i.id",
        "i.name",
        "i.floor",
        "i.capacity",
        "i.passenger_limit",
        "i.plate_no",
        "s.name as siteName",
        "ag.name as agencyName",
        sql<string>`count(*) over ()`.as("total"),
      ])
      .orderBy(sql`${size} asc nulls last`)
      .orderBy("i.name")
      .orderBy("i.id")
      .limit(PAGE_SIZE)
      .offset((q.page - 1) * PAGE_SIZE)
      .execute();
    const total = found[0]
      ? Number(found[0].total)
      : Number((await query.select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow()).n);
    const rows = found.map(({ total: _, ...r }) => r);
    return { rows, total, page: q.page, pageSize: PAGE_SIZE };
  }

  /** The sites to choose from: those holding an item of this kind I may book. */
  async function sites(actor: Actor, kind: "venue" | "car") {
    return db
      .selectFrom("sites as s")
      .select(["s.id", "s.name"])
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom("items as i")
            .select("i.id")
            .whereRef("i.site_id", "=", "s.id")
            .where("i.kind", "=", kind)
            .where(bookableBy(actor) as never),
        ),
      )
      .orderBy("s.name")
      .execute();
  }

  return { findFree, freeSites: sites };
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
