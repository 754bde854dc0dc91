import { sql } from "kysely";
import type { Actor } from "../actor.js";
import { escapeLike, placeOf } from "../items/queries.js";
import { bookableBy } from "../items/visibility.js";
import { startOfTaipeiDay, taipeiDate } from "../time.js";
import { pageAndTotal } from "../paging.js";
import { parseInput, type IdParam } from "../validation.js";
import { type BookingDeps, HOLDING, rangeColumns, tsRange } from "./deps.js";
import { bookableItem, dispatchableDrivers } from "./lookups.js";
import { type AvailabilityQuery, availabilityQuery, windowQuery } from "./schemas.js";

const DAY_MS = 86_400_000;

/** BKG-1: what 預約 shows, the venues or cars the actor may book and who has taken which time (never who). */
export function createAvailability(deps: BookingDeps) {
  const { db, clock } = deps;

  /** The days shown: from the given day (today when none) for `days` days. */
  function window(from: string | null, days: number) {
    const fromDay = from ?? taipeiDate(clock.now());
    const start = startOfTaipeiDay(fromDay);
    return { fromDay, days, start, end: new Date(start.getTime() + days * DAY_MS) };
  }

  /** BKG-1: the venues or cars I may book, with the taken ranges of the given days. */
  async function listAvailability(actor: Actor, raw: AvailabilityQuery) {
    const opts = parseInput(availabilityQuery, raw);
    const { fromDay, days, start, end } = window(opts.from, opts.days);
    let filtered = db
      .selectFrom("items as i")
      .innerJoin("org_nodes as ag", "ag.id", "i.agency_id")
      .innerJoin("sites as s", "s.id", "i.site_id")
      .where("i.kind", "=", opts.kind)
      .where(bookableBy(actor));
    if (opts.q) {
      const like = `%${escapeLike(opts.q)}%`;
      filtered = filtered.where((eb) => eb.or([eb("i.name", "ilike", like), eb("ag.name", "ilike", like)]));
    }
    // A page of `limit` items in name order, and how many there are (no silent cut-off).
    const { rows: list, total } = await pageAndTotal(
      filtered,
      (f) =>
        f
          .select([
            "i.id",
            "i.kind",
            "i.name",
            "i.floor",
            "i.capacity",
            "i.passenger_limit",
            "i.plate_no",
            "i.open_from",
            "i.open_to",
            "ag.name as agencyName",
            "s.name as siteName",
          ])
          .orderBy("i.name")
          .orderBy("i.id"),
      opts.page,
      opts.limit,
    );
    if (list.length === 0) return { from: fromDay, days, items: [], total, page: opts.page };
    // Per item, its taken ranges as one text of minutes from the window's start
    // ("540 600,660 720"; a range begun before the window starts below zero), aggregated in the database: for a thousand venues and a busy week
    // that is 1,000 short strings instead of 35,000 rows and 70,000 Dates (which spent half
    // the time collecting garbage). Start rounds down and end up, so a range never shrinks.
    // The statuses are written out so the planner may use the exclusion constraint's index.
    const minutesFrom = (bound: "lower" | "upper") =>
      sql.raw(`${bound === "lower" ? "floor" : "ceil"}(extract(epoch FROM ${bound}(b.during) - `);
    const taken = await db
      .selectFrom("bookings as b")
      .select([
        "b.item_id",
        sql<string>`string_agg(
          ${minutesFrom("lower")}${start}::timestamptz) / 60)::int::text || ' ' ||
          ${minutesFrom("upper")}${start}::timestamptz) / 60)::int::text, ',')`.as("ranges"),
      ])
      .where(sql<boolean>`b.item_id = ANY(${list.map((i) => i.id)}::int[])`)
      .where(sql<boolean>`b.status in ('pending', 'approved')`)
      .where(sql<boolean>`b.during && ${tsRange(start, end)}`)
      .groupBy("b.item_id")
      .execute();
    const base = start.getTime();
    const byItem = new Map(
      taken.map((t) => [
        t.item_id,
        t.ranges.split(",").map((r) => {
          const [s, e] = r.split(" ");
          return { start: base + Number(s) * 60_000, end: base + Number(e) * 60_000 };
        }),
      ]),
    );
    return {
      from: fromDay,
      days,
      items: list.map((i) => ({ ...i, taken: byItem.get(i.id) ?? [] })),
      total,
      page: opts.page,
    };
  }

  /** One item's page for booking: its facts, drivers (cars) and taken ranges (never who). */
  async function itemForBooking(actor: Actor, itemId: IdParam, from: string | null, days: number) {
    const shown = parseInput(windowQuery, { from, days });
    const item = await bookableItem(db, actor, itemId);
    const { fromDay, start, end } = window(shown.from, shown.days);
    const [taken, drivers, place] = await Promise.all([
      db
        .selectFrom("bookings as b")
        .select(rangeColumns)
        .where("b.item_id", "=", item.id)
        .where("b.status", "in", HOLDING)
        .where(sql<boolean>`b.during && ${tsRange(start, end)}`)
        .orderBy(sql`lower(b.during)`)
        .execute(),
      item.kind === "car"
        ? dispatchableDrivers(db, actor, item.id).select(["i.id", "i.name", "i.licence"]).orderBy("i.name").execute()
        : Promise.resolve([]),
      placeOf(db, item),
    ]);
    return {
      item: { ...item, ...place },
      from: fromDay,
      taken: taken.map((t) => ({ start: t.starts_at, end: t.ends_at })),
      drivers,
    };
  }

  return { listAvailability, itemForBooking };
}
