import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { seedDemo } from "../../db/seed/demo.js";
import { testContainer } from "../helpers/container.js";

let c: Container;
beforeAll(async () => {
  c = await testContainer();
});
afterAll(() => c?.close());

describe("demo items (idempotent seed)", () => {
  it("adds the demo venues, car and driver once, with custodians and the bound driver", async () => {
    await seedDemo(c.db, c.hasher.hash, c.clock.now());
    await seedDemo(c.db, c.hasher.hash, c.clock.now());
    const items = await c.db.selectFrom("items").select(["id", "kind", "name"]).orderBy("id").execute();
    expect(items.map((i) => `${i.kind}:${i.name}`)).toEqual([
      "venue:第一會議室",
      "venue:10F 簡報室",
      "driver:葉志明",
      "car:Toyota Corolla Altis",
    ]);
    const room = items[0]!;
    const holders = await c.db
      .selectFrom("item_custodians as ic")
      .innerJoin("accounts as a", "a.id", "ic.account_id")
      .select(["ic.slot", "a.username"])
      .where("ic.item_id", "=", room.id)
      .orderBy("ic.slot")
      .execute();
    expect(holders).toEqual([
      { slot: 1, username: "rdec.admin" },
      { slot: 2, username: "wang.xm" },
    ]);
    const bound = await c.db.selectFrom("car_drivers").selectAll().execute();
    expect(bound).toEqual([{ car_id: items[3]!.id, driver_id: items[2]!.id }]);
    // A deleted demo item stays deleted on the next run.
    await c.db.updateTable("items").set({ deleted_at: new Date() }).where("id", "=", room.id).execute();
    await seedDemo(c.db, c.hasher.hash, c.clock.now());
    expect(await c.db.selectFrom("items").select("id").execute()).toHaveLength(4);
  });
});
