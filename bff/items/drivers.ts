import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError } from "../errors.js";
import { type IdParam, parseInput } from "../validation.js";
import type { ItemDeps } from "./deps.js";
import { manageableItem } from "./queries.js";
import { type DriverChangeInput, driverChange } from "./schemas.js";

/** The live drivers bound to a car, by name. */
export function boundDrivers(db: Database, carId: number) {
  return db
    .selectFrom("car_drivers as cd")
    .innerJoin("items as d", "d.id", "cd.driver_id")
    .select(["d.id", "d.name", "d.licence", "d.phone"])
    .where("cd.car_id", "=", carId)
    .where("d.deleted_at", "is", null)
    .orderBy("d.name")
    .orderBy("d.id")
    .execute();
}

/** ITM-2 選擇公務車司機: which dispatched drivers may drive a car. */
export function createDrivers(deps: ItemDeps) {
  const { db, clock } = deps;

  /** The managing agency's drivers, with whether each is bound to this car. */
  async function driverChoices(actor: Actor, carId: IdParam) {
    const car = await manageableItem(db, actor, "car", carId);
    return db
      .selectFrom("items as d")
      .leftJoin("car_drivers as cd", (j) => j.onRef("cd.driver_id", "=", "d.id").on("cd.car_id", "=", car.id))
      .select(["d.id", "d.name", "d.licence", "d.phone", sql<boolean>`cd.car_id IS NOT NULL`.as("bound")])
      .where("d.kind", "=", "driver")
      .where("d.agency_id", "=", car.agency_id)
      .where("d.deleted_at", "is", null)
      .orderBy("d.name")
      .orderBy("d.id")
      .limit(500)
      .execute();
  }

  /**
   * Binds drivers to a car (`add`), unbinds them (`remove`) or sets the whole list (`set`).
   * Only live drivers of the car's managing agency may be bound.
   */
  async function changeDrivers(actor: Actor, carId: IdParam, mode: "add" | "remove" | "set", raw: DriverChangeInput) {
    const { driverIds: ids } = parseInput(driverChange(mode), raw);
    const car = await manageableItem(db, actor, "car", carId);
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      if (mode !== "remove" && ids.length > 0) {
        const ok = await trx
          .selectFrom("items")
          .select("id")
          .where("id", "in", ids)
          .where("kind", "=", "driver")
          .where("agency_id", "=", car.agency_id)
          .where("deleted_at", "is", null)
          .execute();
        if (ok.length !== ids.length)
          throw new DomainError("invalid", "所選司機須為管理機關的派遣司機。", {
            driverIds: "所選司機須為管理機關的派遣司機",
          });
      }
      if (mode === "set") await trx.deleteFrom("car_drivers").where("car_id", "=", car.id).execute();
      if (mode === "remove")
        await trx.deleteFrom("car_drivers").where("car_id", "=", car.id).where("driver_id", "in", ids).execute();
      else if (ids.length > 0)
        await trx
          .insertInto("car_drivers")
          .values(ids.map((driver_id) => ({ car_id: car.id, driver_id })))
          .onConflict((oc) => oc.doNothing())
          .execute();
      await writeAudit(trx, actor, now, {
        action: `item.drivers.${mode}`,
        targetType: "item",
        targetId: car.id,
        detail: { driverIds: ids },
      });
    });
  }

  const changer = (mode: "add" | "remove" | "set") => (actor: Actor, carId: IdParam, raw: DriverChangeInput) =>
    changeDrivers(actor, carId, mode, raw);

  return { driverChoices, addDrivers: changer("add"), removeDrivers: changer("remove"), setDrivers: changer("set") };
}
