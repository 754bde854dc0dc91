import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import { heldBy } from "../items/visibility.js";
import { type IdParam, parseId } from "../validation.js";
import { type BookingDeps, rangeColumns, statusLabel } from "./deps.js";

/** BKG-4 我的借用: my bookings, cancelling one, and PRT-1's counts. */
export function createMine(deps: BookingDeps) {
  const { db, clock } = deps;

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
  async function cancel(actor: Actor, bookingId: IdParam): Promise<void> {
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

  /** PRT-1 counts: my pending requests, and what waits for my review. */
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

  return { mine, cancel, homeCounts };
}
