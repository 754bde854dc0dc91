import type { Database, Tx } from "../../db/index.js";
import type { ItemKind } from "../../db/schema.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import { reviewableBy } from "./reviewers.js";
import { type IdParam, parseId } from "../validation.js";
import { formatTaipeiRange } from "../time.js";
import { type BookingDeps, kindLabel, rangeColumns, statusLabel } from "./deps.js";
import { notifyAccounts } from "./notify.js";

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

  /**
   * BKG-4: cancel my pending booking, or my approved one that has not started; frees the slot.
   * An approved one was planned around: its custodians are told (issue 18), and the item's
   * records keep it as 已取消 with when (bff/items/records.ts).
   */
  async function cancel(actor: Actor, bookingId: IdParam): Promise<void> {
    const id = parseId(bookingId);
    if (id === null) throw notFound();
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const booking = await trx
        .selectFrom("bookings as b")
        .innerJoin("items as i", "i.id", "b.item_id")
        .select(["b.id", "b.status", "b.item_id", "i.name as itemName", "i.kind", ...rangeColumns])
        .where("b.id", "=", id)
        .where("b.applicant_id", "=", actor.accountId)
        .forUpdate("b")
        .executeTakeFirst();
      if (!booking) throw notFound();
      const started = booking.starts_at <= now;
      if (booking.status !== "pending" && !(booking.status === "approved" && !started)) {
        throw new DomainError(
          "conflict",
          booking.status === "approved"
            ? "借用已開始，無法取消。"
            : `此申請已是「${statusLabel[booking.status]}」，無法取消。`,
        );
      }
      await trx
        .updateTable("bookings")
        .set({ status: "cancelled", cancelled_at: now, updated_at: now })
        .where("id", "=", id)
        .execute();
      if (booking.status === "approved") await notifyCancelled(trx, actor, booking, now);
    });
  }

  /** Push and mail to the item's custodians (not the applicant, if one): an approved slot was given back. */
  async function notifyCancelled(
    trx: Tx,
    actor: Actor,
    b: { id: number; item_id: number; itemName: string; kind: ItemKind; starts_at: Date; ends_at: Date },
    now: Date,
  ) {
    const custodians = await trx
      .selectFrom("item_custodians")
      .select("account_id")
      .where("item_id", "=", b.item_id)
      .where("account_id", "<>", actor.accountId)
      .execute();
    const range = formatTaipeiRange(b.starts_at, b.ends_at);
    await notifyAccounts(
      deps,
      trx,
      now,
      custodians.map((c) => c.account_id),
      {
        push: {
          title: `${kindLabel[b.kind]}借用已取消`,
          body: `${actor.name} 取消已核准的借用：${b.itemName}，${range}`,
          url: `/reviews?focus=${b.id}`,
          tag: `booking-${b.id}`,
        },
        pushOptions: { ttl: 86_400, urgency: "normal" },
        key: `booking-cancel:${b.id}`,
        mailKey: (accountId) => `booking-cancel:${b.id}:${accountId}`,
        subject: `【公務入口網】${kindLabel[b.kind]}借用已取消：${b.itemName}`,
        text: `${actor.name} 已取消已核准的借用「${b.itemName}」（${range}），該時段已釋出。`,
      },
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
        .where(reviewableBy(actor))
        .executeTakeFirstOrThrow(),
    ]);
    return [
      { key: "bookings-review", label: "待我審核的借用", count: waiting.n, href: "/reviews" },
      { key: "bookings-mine", label: "我的借用申請（未審核）", count: pendingMine.n, href: "/book/mine" },
    ];
  }

  return { mine, cancel, homeCounts };
}
