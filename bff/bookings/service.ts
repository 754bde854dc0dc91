import { sql } from "kysely";
import type { Database, Tx } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import type { Booking, BookingStatus, Item, ItemKind } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { mailAddresses } from "../accounts/mail-address.js";
import { DomainError, notFound } from "../errors.js";
import { bookableBy, heldBy } from "../items/visibility.js";
import type { ReviewSource } from "../reviews/inbox.js";
import { queueMail } from "../notifications/mail.js";
import { queuePush } from "../push/notify.js";
import type { Clock } from "../ports/clock.js";
import { cleanText } from "../text.js";
import { formatTaipeiRange, startOfTaipeiDay, taipeiDate } from "../time.js";
import { type BookingInput, parseId, validateBooking } from "./rules.js";

const HOLDING: BookingStatus[] = ["pending", "approved"];
const kindLabel: Record<ItemKind, string> = { venue: "場地", car: "公務車", driver: "司機" };
export const DEFAULT_REJECT_COMMENT = "經審核未能同意借用。";

/** A booking's time range as instants, read from the tstzrange. */
const rangeColumns = [sql<Date>`lower(b.during)`.as("starts_at"), sql<Date>`upper(b.during)`.as("ends_at")] as const;
const tsRange = (start: Date, end: Date) => sql`tstzrange(${start}::timestamptz, ${end}::timestamptz, '[)')`;

export function createBookingsService(deps: {
  db: Database;
  clock: Clock;
  officialMailDomain: string;
  baseUrl?: string;
}) {
  const { db, clock } = deps;

  /** An item the actor may book, or 404: absent, deleted and out of scope look the same. */
  async function bookableItem(actor: Actor, itemId: unknown, trx: Database = db): Promise<Item> {
    const id = parseId(itemId);
    if (id === null) throw notFound();
    const item = await trx
      .selectFrom("items as i")
      .selectAll("i")
      .where("i.id", "=", id)
      .where("i.kind", "in", ["venue", "car"])
      .where(bookableBy(actor))
      .executeTakeFirst();
    if (!item) throw notFound();
    return item;
  }

  /**
   * The drivers bound to a car whom the actor may have dispatched: a driver's own 是否公開
   * and 允許派遣機關 apply, exactly as for the car.
   */
  function dispatchableDrivers(actor: Actor, carId: number) {
    return db
      .selectFrom("items as i")
      .innerJoin("car_drivers as cd", "cd.driver_id", "i.id")
      .where("cd.car_id", "=", carId)
      .where("i.kind", "=", "driver")
      .where((eb) => bookableBy(actor)(eb as never));
  }

  /** BKG-1: the venues or cars I may book, with the taken ranges of the given days. */
  async function listAvailability(
    actor: Actor,
    opts: { kind: "venue" | "car"; from: string; days: number; q?: string; limit?: number },
  ) {
    const days = Math.min(Math.max(1, opts.days), 14);
    const fromDay = validDay(opts.from) ?? taipeiDate(clock.now());
    const start = startOfTaipeiDay(fromDay);
    const end = new Date(start.getTime() + days * 86_400_000);
    const q = cleanText(opts.q, 50).trim();
    let items = db
      .selectFrom("items as i")
      .innerJoin("org_nodes as ag", "ag.id", "i.agency_id")
      .innerJoin("sites as s", "s.id", "i.site_id")
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
      .where("i.kind", "=", opts.kind)
      .where(bookableBy(actor))
      .orderBy("i.name")
      .orderBy("i.id")
      .limit(Math.min(opts.limit ?? 200, 2000));
    if (q)
      items = items.where((eb) =>
        eb.or([eb("i.name", "ilike", `%${escapeLike(q)}%`), eb("ag.name", "ilike", `%${escapeLike(q)}%`)]),
      );
    const list = await items.execute();
    if (list.length === 0) return { from: fromDay, days, items: [] };
    // Bounds as epoch milliseconds: for a thousand venues and a busy week, parsing 35,000
    // pairs of timestamp strings (or building JSON in the database) costs more than the query.
    const taken = await db
      .selectFrom("bookings as b")
      .select([
        "b.item_id",
        sql<number>`(extract(epoch FROM lower(b.during)) * 1000)::int8`.as("s"),
        sql<number>`(extract(epoch FROM upper(b.during)) * 1000)::int8`.as("e"),
      ])
      .where(sql<boolean>`b.item_id = ANY(${list.map((i) => i.id)}::int[])`)
      .where("b.status", "in", HOLDING)
      .where(sql<boolean>`b.during && ${tsRange(start, end)}`)
      .execute();
    const byItem = new Map<number, { start: Date; end: Date }[]>();
    for (const t of taken) {
      const ranges = byItem.get(t.item_id) ?? [];
      ranges.push({ start: new Date(t.s), end: new Date(t.e) });
      byItem.set(t.item_id, ranges);
    }
    for (const ranges of byItem.values()) ranges.sort((a, b) => a.start.getTime() - b.start.getTime());
    return { from: fromDay, days, items: list.map((i) => ({ ...i, taken: byItem.get(i.id) ?? [] })) };
  }

  /** One item's page for booking: its facts, drivers (cars) and taken ranges (never who). */
  async function itemForBooking(actor: Actor, itemId: unknown, from: string, days: number) {
    const item = await bookableItem(actor, itemId);
    const fromDay = validDay(from) ?? taipeiDate(clock.now());
    const start = startOfTaipeiDay(fromDay);
    const end = new Date(start.getTime() + Math.min(Math.max(1, days), 14) * 86_400_000);
    const [taken, drivers, meta] = await Promise.all([
      db
        .selectFrom("bookings as b")
        .select(rangeColumns)
        .where("b.item_id", "=", item.id)
        .where("b.status", "in", HOLDING)
        .where(sql<boolean>`b.during && ${tsRange(start, end)}`)
        .orderBy(sql`lower(b.during)`)
        .execute(),
      item.kind === "car"
        ? dispatchableDrivers(actor, item.id).select(["i.id", "i.name", "i.licence"]).orderBy("i.name").execute()
        : Promise.resolve([]),
      db
        .selectFrom("org_nodes as ag")
        .innerJoin("sites as s", (j) => j.on("s.id", "=", item.site_id))
        .select(["ag.name as agencyName", "s.name as siteName"])
        .where("ag.id", "=", item.agency_id)
        .executeTakeFirstOrThrow(),
    ]);
    return {
      item: { ...item, ...meta },
      from: fromDay,
      taken: taken.map((t) => ({ start: t.starts_at, end: t.ends_at })),
      drivers,
    };
  }

  /**
   * BKG-1/2: requests a slot. The exclusion constraints refuse an overlap, whatever the
   * number of app servers; the refusal names the clashing time, never the holder.
   */
  async function request(actor: Actor, input: BookingInput): Promise<{ id: number }> {
    const now = clock.now();
    const item = await bookableItem(actor, input.itemId);
    const valid = validateBooking(item, input, now);
    if (valid.driverId !== null) {
      const bound = await dispatchableDrivers(actor, item.id)
        .select("i.id")
        .where("i.id", "=", valid.driverId)
        .executeTakeFirst();
      if (!bound) throw new DomainError("invalid", "請修正標示的欄位。", { driverId: "此司機不屬於這輛公務車" });
    }
    try {
      return await inTransaction(db, async (trx) => {
        const row = await trx
          .insertInto("bookings")
          .values({
            item_id: item.id,
            applicant_id: actor.accountId,
            during: sql`${tsRange(valid.start, valid.end)}` as unknown as string,
            status: "pending",
            reason: valid.reason,
            attendees: valid.attendees,
            passengers: valid.passengers,
            destination: valid.destination,
            driver_id: valid.driverId,
            created_at: now,
            updated_at: now,
          })
          .returning("id")
          .executeTakeFirstOrThrow();
        await notifyCustodians(trx, item, row.id, actor, valid.start, valid.end, now);
        return { id: row.id };
      });
    } catch (e) {
      if (!isExclusionViolation(e)) throw e;
      throw await clashError(e, item, valid.start, valid.end, valid.driverId);
    }
  }

  async function clashError(e: unknown, item: Item, start: Date, end: Date, driverId: number | null) {
    const byDriver = (e as { constraint?: string }).constraint === "bookings_driver_no_overlap";
    const clash = await db
      .selectFrom("bookings as b")
      .select(rangeColumns)
      .where(byDriver ? "b.driver_id" : "b.item_id", "=", byDriver ? driverId! : item.id)
      .where("b.status", "in", HOLDING)
      .where(sql<boolean>`b.during && ${tsRange(start, end)}`)
      .orderBy(sql`lower(b.during)`)
      .executeTakeFirst();
    const when = clash ? formatTaipeiRange(clash.starts_at, clash.ends_at) : formatTaipeiRange(start, end);
    const message = byDriver
      ? `所選司機在 ${when} 已有派遣，請改選時間或其他司機。`
      : `${when} 已有預約，請選擇其他時段。`;
    return new DomainError(
      "conflict",
      message,
      byDriver ? { driverId: `${when} 已有派遣` } : { startsAt: `${when} 已有預約` },
    );
  }

  async function notifyCustodians(
    trx: Tx,
    item: Item,
    bookingId: number,
    actor: Actor,
    start: Date,
    end: Date,
    now: Date,
  ) {
    const custodians = await trx
      .selectFrom("item_custodians")
      .select("account_id")
      .where("item_id", "=", item.id)
      .execute();
    // A custodian booking their own item is not told about it.
    const custodianIds = custodians.map((c) => c.account_id).filter((id) => id !== actor.accountId);
    await queuePush(
      trx,
      now,
      custodianIds,
      {
        title: `${kindLabel[item.kind]}借用申請待審核`,
        body: `${actor.name}：${item.name}，${formatTaipeiRange(start, end)}`,
        url: `/reviews?focus=${bookingId}`,
        tag: `booking-${bookingId}`,
        decision: { kind: "booking", targetId: bookingId },
      },
      { ttl: 86_400, urgency: "high" },
      `booking-request:${bookingId}`,
    );
    const addresses = await mailAddresses(trx, custodianIds, deps.officialMailDomain);
    for (const [accountId, to] of addresses) {
      await queueMail(
        trx,
        now,
        {
          to,
          subject: `【公務入口網】${kindLabel[item.kind]}借用申請待審核：${item.name}`,
          text: `${actor.name} 申請借用「${item.name}」，時間 ${formatTaipeiRange(start, end)}。\n請至公務入口網「審核」頁審核。${deps.baseUrl ? `\n${deps.baseUrl}/reviews/bookings/${bookingId}` : ""}`,
        },
        `booking-request:${bookingId}:${accountId}`,
      );
    }
  }

  /** A booking of an item the actor holds, or 404. */
  async function heldBooking(actor: Actor, bookingId: unknown, trx: Database = db) {
    const id = parseId(bookingId);
    if (id === null) throw notFound();
    const row = await trx
      .selectFrom("bookings as b")
      .innerJoin("items as i", "i.id", "b.item_id")
      .innerJoin("accounts as ap", "ap.id", "b.applicant_id")
      .select([
        "b.id",
        "b.status",
        "b.applicant_id",
        "b.item_id",
        "i.name as itemName",
        "i.kind",
        "ap.name as applicantName",
        ...rangeColumns,
      ])
      .where("b.id", "=", id)
      .where(heldBy(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    return row;
  }

  const statusLabel: Record<BookingStatus, string> = {
    pending: "未審核",
    approved: "已核准",
    rejected: "已駁回",
    cancelled: "已取消",
  };

  /**
   * BKG-3: one custodian's decision. The update only applies while the booking is still
   * pending, so when the other custodian got there first the second decision is refused.
   */
  async function decide(
    actor: Actor,
    bookingId: unknown,
    input: { decision: unknown; comment?: unknown },
    /** The caller's transaction (e.g. with a claimed decision token); else its own. */
    inTrx?: Tx,
  ) {
    const decision = input.decision === "approve" ? "approved" : input.decision === "reject" ? "rejected" : null;
    if (!decision) throw new DomainError("invalid", "請選擇核准或駁回。", { decision: "請選擇核准或駁回" });
    const comment = cleanText(input.comment, 501).trim();
    if (comment.length > 500)
      throw new DomainError("invalid", "審核說明請在 500 字以內。", { comment: "審核說明請在 500 字以內" });
    if (decision === "rejected" && comment === "")
      throw new DomainError("invalid", "駁回時請填寫審核說明。", { comment: "請填寫駁回原因" });
    const booking = await heldBooking(actor, bookingId, inTrx);
    const now = clock.now();
    if (decision === "approved" && booking.status === "pending" && booking.starts_at <= now) {
      throw new DomainError("conflict", "借用時段已開始，無法核准；請駁回或請申請人重新申請。");
    }
    const run = <T>(fn: (trx: Tx) => Promise<T>) => (inTrx ? fn(inTrx) : inTransaction(db, fn));
    return run(async (trx) => {
      const updated = await trx
        .updateTable("bookings")
        .set({
          status: decision,
          decided_by: actor.accountId,
          decided_at: now,
          decision_comment: comment || null,
          updated_at: now,
        })
        .where("id", "=", booking.id)
        .where("status", "=", "pending")
        .returning("id")
        .executeTakeFirst();
      if (!updated) {
        const current = await trx
          .selectFrom("bookings")
          .select("status")
          .where("id", "=", booking.id)
          .executeTakeFirstOrThrow();
        throw new DomainError("conflict", `此申請已是「${statusLabel[current.status]}」，不需再審核。`);
      }
      await queuePush(
        trx,
        now,
        [booking.applicant_id],
        {
          title: `借用申請${statusLabel[decision]}`,
          body: `${booking.itemName}，${formatTaipeiRange(booking.starts_at, booking.ends_at)}${comment ? `（${comment}）` : ""}`,
          url: "/book/mine",
          tag: `booking-${booking.id}`,
        },
        { ttl: 7 * 86_400, urgency: "normal" },
        `booking-decision:${booking.id}`,
      );
      const addresses = await mailAddresses(trx, [booking.applicant_id], deps.officialMailDomain);
      const to = addresses.get(booking.applicant_id);
      if (to) {
        await queueMail(
          trx,
          now,
          {
            to,
            subject: `【公務入口網】借用申請${statusLabel[decision]}：${booking.itemName}`,
            text: `您申請借用「${booking.itemName}」（${formatTaipeiRange(booking.starts_at, booking.ends_at)}）${statusLabel[decision]}。${comment ? `\n審核說明：${comment}` : ""}`,
          },
          `booking-decision:${booking.id}`,
        );
      }
      return { id: booking.id, status: decision };
    });
  }

  /**
   * BKG-5: the reviewer who decided edits the 審核說明 afterwards — e.g. the default text a
   * 駁回 from a notification recorded. The decision itself never changes.
   */
  async function editDecisionComment(actor: Actor, bookingId: unknown, input: { comment?: unknown }) {
    const comment = cleanText(input.comment, 501).trim();
    if (comment.length > 500)
      throw new DomainError("invalid", "審核說明請在 500 字以內。", { comment: "審核說明請在 500 字以內" });
    const booking = await heldBooking(actor, bookingId);
    if (booking.status === "rejected" && comment === "")
      throw new DomainError("invalid", "駁回的審核說明不可空白。", { comment: "請填寫駁回原因" });
    const row = await db
      .updateTable("bookings")
      .set({ decision_comment: comment || null, updated_at: clock.now() })
      .where("id", "=", booking.id)
      .where("status", "in", ["approved", "rejected"])
      .where("decided_by", "=", actor.accountId)
      .returning("id")
      .executeTakeFirst();
    if (!row) throw new DomainError("conflict", "只有審核這筆申請的保管人可以修改審核說明。");
  }

  /** BKG-3 batch: one decision and comment for many; a result per booking. */
  async function decideBatch(actor: Actor, ids: unknown[], input: { decision: unknown; comment?: unknown }) {
    const unique = [...new Set(ids.map(parseId).filter((n): n is number => n !== null))].slice(0, 200);
    if (unique.length === 0) throw new DomainError("invalid", "請勾選要審核的申請。");
    const results: { id: number; ok: boolean; message: string }[] = [];
    for (const id of unique) {
      try {
        const r = await decide(actor, id, input);
        results.push({ id, ok: true, message: statusLabel[r.status as BookingStatus] });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        if (e.code === "invalid") throw e; // same input for all: stop at the first
        results.push({ id, ok: false, message: e.code === "not_found" ? "找不到資料，或您沒有權限審核。" : e.message });
      }
    }
    return results;
  }

  /** BKG-3 list: bookings of the items I hold; 未審核 by default. */
  async function reviewList(actor: Actor, opts: { status?: string; q?: string; date?: string; page?: number }) {
    const status =
      (["pending", "approved", "rejected", "cancelled", "all"] as const).find((s) => s === opts.status) ?? "pending";
    const q = cleanText(opts.q, 50).trim();
    const page = Math.max(1, Math.min(1000, Number(opts.page) || 1));
    let query = db
      .selectFrom("bookings as b")
      .innerJoin("items as i", "i.id", "b.item_id")
      .innerJoin("accounts as ap", "ap.id", "b.applicant_id")
      .innerJoin("org_nodes as u", "u.id", "ap.unit_id")
      .leftJoin("items as d", "d.id", "b.driver_id")
      .where(heldBy(actor));
    if (status !== "all") query = query.where("b.status", "=", status);
    if (q) {
      const like = `%${escapeLike(q)}%`;
      query = query.where((eb) =>
        eb.or([eb("i.name", "ilike", like), eb("ap.name", "ilike", like), eb("b.reason", "ilike", like)]),
      );
    }
    const day = validDay(opts.date);
    if (day) {
      const dayStart = startOfTaipeiDay(day);
      query = query.where(sql<boolean>`b.during && ${tsRange(dayStart, new Date(dayStart.getTime() + 86_400_000))}`);
    }
    const [rows, total] = await Promise.all([
      query
        .select([
          "b.id",
          "b.status",
          "b.reason",
          "b.attendees",
          "b.passengers",
          "b.destination",
          "b.decision_comment",
          "b.decided_by",
          "b.created_at",
          "i.name as itemName",
          "i.kind",
          "ap.name as applicantName",
          "u.name as unitName",
          "d.name as driverName",
          ...rangeColumns,
        ])
        .orderBy("b.created_at", "desc")
        .orderBy("b.id", "desc")
        .limit(10)
        .offset((page - 1) * 10)
        .execute(),
      query.select((eb) => eb.fn.countAll<number>().as("n")).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: total.n, page, status };
  }

  /** BKG-4: my bookings, newest first. */
  async function mine(actor: Actor, limit = 50) {
    return db
      .selectFrom("bookings as b")
      .innerJoin("items as i", "i.id", "b.item_id")
      .leftJoin("items as d", "d.id", "b.driver_id")
      .select([
        "b.id",
        "b.status",
        "b.reason",
        "b.decision_comment",
        "b.decided_at",
        "b.attendees",
        "b.passengers",
        "b.destination",
        "b.created_at",
        "i.id as itemId",
        "i.name as itemName",
        "i.kind",
        "d.name as driverName",
        ...rangeColumns,
      ])
      .where("b.applicant_id", "=", actor.accountId)
      .orderBy("b.created_at", "desc")
      .orderBy("b.id", "desc")
      .limit(Math.min(limit, 200))
      .execute();
  }

  /** BKG-4: cancel my pending booking, or my approved one that has not started; frees the slot. */
  async function cancel(actor: Actor, bookingId: unknown): Promise<void> {
    const id = parseId(bookingId);
    if (id === null) throw notFound();
    const now = clock.now();
    const row = await db
      .updateTable("bookings as b")
      .set({ status: "cancelled", cancelled_at: now, updated_at: now })
      .where("b.id", "=", id)
      .where("b.applicant_id", "=", actor.accountId)
      .where((eb) =>
        eb.or([
          eb("b.status", "=", "pending"),
          eb.and([eb("b.status", "=", "approved"), sql<boolean>`lower(b.during) > ${now}`]),
        ]),
      )
      .returning("b.id")
      .executeTakeFirst();
    if (row) return;
    const mineRow = await db
      .selectFrom("bookings")
      .select(["status"])
      .where("id", "=", id)
      .where("applicant_id", "=", actor.accountId)
      .executeTakeFirst();
    if (!mineRow) throw notFound();
    throw new DomainError(
      "conflict",
      mineRow.status === "approved"
        ? "借用已開始，無法取消。"
        : `此申請已是「${statusLabel[mineRow.status]}」，無法取消。`,
    );
  }

  /** The approvals inbox's view of bookings (bff/reviews/inbox.ts). */
  const reviewSource: ReviewSource = {
    kind: "booking",
    label: "場地及公務車借用",
    async pending(actor, limit) {
      const rows = await db
        .selectFrom("bookings as b")
        .innerJoin("items as i", "i.id", "b.item_id")
        .innerJoin("accounts as ap", "ap.id", "b.applicant_id")
        .select([
          "b.id",
          "b.reason",
          "b.created_at",
          "i.name as itemName",
          "i.kind",
          "ap.name as applicantName",
          ...rangeColumns,
        ])
        .where("b.status", "=", "pending")
        .where(heldBy(actor))
        .orderBy("b.created_at", "desc")
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        kind: "booking",
        id: r.id,
        kindLabel: `${kindLabel[r.kind]}借用`,
        title: r.itemName,
        summary: `${r.applicantName}・${formatTaipeiRange(r.starts_at, r.ends_at)}`,
        reason: r.reason,
        submittedAt: r.created_at,
        href: `/reviews?focus=${r.id}`,
      }));
    },
    async count(actor, inTrx) {
      const row = await (inTrx ?? db)
        .selectFrom("bookings as b")
        .innerJoin("items as i", "i.id", "b.item_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("b.status", "=", "pending")
        .where(heldBy(actor))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    decide: (actor, id, input, trx) => decide(actor, id, input, trx),
    async describe(actor, id) {
      const b = await heldBooking(actor, id);
      return { title: b.itemName, who: b.applicantName };
    },
  };

  /** PRT-1 counts. */
  async function homeCounts(_db: Database, actor: Actor) {
    const [pendingMine, waiting] = await Promise.all([
      db
        .selectFrom("bookings")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("applicant_id", "=", actor.accountId)
        .where("status", "=", "pending")
        .executeTakeFirstOrThrow(),
      db
        .selectFrom("bookings as b")
        .innerJoin("items as i", "i.id", "b.item_id")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .where("b.status", "=", "pending")
        .where(heldBy(actor))
        .executeTakeFirstOrThrow(),
    ]);
    return [
      { key: "bookings-review", label: "待我審核的借用", count: waiting.n, href: "/reviews" },
      { key: "bookings-mine", label: "我的借用申請（未審核）", count: pendingMine.n, href: "/book/mine" },
    ];
  }

  return {
    listAvailability,
    itemForBooking,
    request,
    decide,
    decideBatch,
    editDecisionComment,
    reviewList,
    mine,
    cancel,
    homeCounts,
    heldBooking,
    reviewSource,
  };
}

/** A real calendar day "YYYY-MM-DD" (2026-13-45 is not), or null. */
function validDay(value: unknown): string | null {
  if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const d = startOfTaipeiDay(value);
  return Number.isNaN(d.getTime()) || taipeiDate(d) !== value ? null : value;
}

function isExclusionViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "23P01";
}

export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export type BookingsService = ReturnType<typeof createBookingsService>;
export type { Booking };
