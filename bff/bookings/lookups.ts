import type { Database } from "../../db/index.js";
import type { Item } from "../../db/schema.js";
import type { Actor } from "../actor.js";
import { notFound } from "../errors.js";
import { bookableBy } from "../items/visibility.js";
import { type IdParam, parseId } from "../validation.js";
import { rangeColumns } from "./deps.js";
import { reviewableBy } from "./reviewers.js";

/** An item the actor may book, or 404: absent, deleted, out of scope and a bad id look the same. */
export async function bookableItem(db: Database, actor: Actor, itemId: IdParam): Promise<Item> {
  const id = parseId(itemId);
  if (id === null) throw notFound();
  const item = await db
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
export function dispatchableDrivers(db: Database, actor: Actor, carId: number) {
  return db
    .selectFrom("items as i")
    .innerJoin("car_drivers as cd", "cd.driver_id", "i.id")
    .where("cd.car_id", "=", carId)
    .where("i.kind", "=", "driver")
    .where((eb) => bookableBy(actor)(eb as never));
}

/** A booking the actor decides (its item's 保管人, or who stands in: bookings/reviewers.ts), or 404. */
export async function heldBooking(db: Database, actor: Actor, bookingId: IdParam) {
  const id = parseId(bookingId);
  if (id === null) throw notFound();
  const row = await db
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
    .where(reviewableBy(actor))
    .executeTakeFirst();
  if (!row) throw notFound();
  return row;
}
