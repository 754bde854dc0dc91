import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { seedDemo } from "../../db/seed/demo.js";
import { testContainer } from "../helpers/container.js";

let c: Container;
beforeAll(async () => {
  c = await testContainer();
});
afterAll(() => c?.close());

describe("demo repairs (idempotent seed)", () => {
  it("adds two repair types with the vendor account and a few tickets, once", async () => {
    await seedDemo(c.db, c.hasher.hash, c.clock.now());
    await seedDemo(c.db, c.hasher.hash, c.clock.now());
    const types = await c.db.selectFrom("repair_types").select("name").orderBy("id").execute();
    expect(types.map((t) => t.name)).toEqual(["公文管理系統", "資訊設備"]);
    const tickets = await c.db.selectFrom("repair_tickets").select("status").execute();
    expect(tickets.map((t) => t.status).sort()).toEqual(["pending", "pending", "processed", "returned"]);
    const vendor = await c.db
      .selectFrom("repair_type_vendors as v")
      .innerJoin("accounts as a", "a.id", "v.account_id")
      .select("a.username")
      .distinct()
      .execute();
    expect(vendor).toEqual([{ username: "vendor.chen" }]);
  });
});
