import { sql } from "kysely";
import type { Tx } from "../../db/index.js";
import type { Item } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { DomainError } from "../errors.js";
import { formatTaipeiRange } from "../time.js";
import { type BookingDeps, HOLDING, kindLabel, rangeColumns, tsRange } from "./deps.js";
import { bookableItem, dispatchableDrivers } from "./lookups.js";
import { notifyAccounts } from "./notify.js";
import { reviewerIds } from "./reviewers.js";
import { type BookingRequestInput, bookingRequest, formSummary, parseBooking } from "./schemas.js";

/**
 * BKG-1/2: requests a slot. The exclusion constraints refuse an overlap, whatever the
 * number of app servers; the refusal names the clashing time, never the holder.
 */
export function createRequest(deps: BookingDeps) {
  const { db, clock } = deps;

  async function request(actor: Actor, raw: BookingRequestInput): Promise<{ id: number }> {
    // The item comes first: its kind, capacity and hours are part of what the form may hold.
    const item = await bookableItem(db, actor, raw.itemId);
    const now = clock.now();
    const valid = parseBooking(bookingRequest(item, now), raw, formSummary);
    if (valid.driverId !== null) {
      const bound = await dispatchableDrivers(db, actor, item.id)
        .select("i.id")
        .where("i.id", "=", valid.driverId)
        .executeTakeFirst();
      if (!bound) throw new DomainError("invalid", formSummary(), { driverId: "此司機不屬於這輛公務車" });
    }
    try {
      return await inTransaction(db, async (trx) => {
        const row = await trx
          .insertInto("bookings")
          .values({
            item_id: item.id,
            applicant_id: actor.accountId,
            during: sql`${tsRange(valid.startsAt, valid.endsAt)}` as unknown as string,
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
        await notifyReviewers(trx, item, row.id, actor, valid.startsAt, valid.endsAt, now);
        return { id: row.id };
      });
    } catch (e) {
      if (!isExclusionViolation(e)) throw e;
      throw await clashError(e, item, valid.startsAt, valid.endsAt, valid.driverId);
    }
  }

  /** The refusal of an overlap: the first clashing time (of the item or of the driver), never whose. */
  async function clashError(e: { constraint?: string }, item: Item, start: Date, end: Date, driverId: number | null) {
    const byDriver = e.constraint === "bookings_driver_no_overlap";
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

  /**
   * Push and mail to whoever decides it (its custodians, or who stands in when the applicant is
   * one: bookings/reviewers.ts), each push with its own decision token; sent after commit.
   */
  async function notifyReviewers(
    trx: Tx,
    item: Item,
    bookingId: number,
    actor: Actor,
    start: Date,
    end: Date,
    now: Date,
  ) {
    const reviewers = await reviewerIds(trx, bookingId);
    const range = formatTaipeiRange(start, end);
    await notifyAccounts(deps, trx, now, reviewers, {
      push: {
        title: `${kindLabel[item.kind]}借用申請待審核`,
        body: `${actor.name}：${item.name}，${range}`,
        url: `/reviews?focus=${bookingId}`,
        tag: `booking-${bookingId}`,
        decision: { kind: "booking", targetId: bookingId },
      },
      pushOptions: { ttl: 86_400, urgency: "high" },
      key: `booking-request:${bookingId}`,
      mailKey: (accountId) => `booking-request:${bookingId}:${accountId}`,
      subject: `【公務入口網】${kindLabel[item.kind]}借用申請待審核：${item.name}`,
      text: `${actor.name} 申請借用「${item.name}」，時間 ${range}。\n請至公務入口網「審核」頁審核。\n${deps.baseUrl ?? ""}/reviews/bookings/${bookingId}`,
    });
  }

  return { request };
}

/** PostgreSQL's exclusion_violation: an overlapping booking of the item or the driver. */
function isExclusionViolation(e: unknown): e is { code: string; constraint?: string } {
  return typeof e === "object" && e !== null && (e as { code?: string }).code === "23P01";
}
