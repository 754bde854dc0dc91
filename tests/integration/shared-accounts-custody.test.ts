import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { sharedAccountsHeldBy } from "../../bff/shared-accounts/custody.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit } from "../helpers/factory.js";

let c: Container;
beforeAll(async () => {
  c = await testContainer();
});
afterAll(async () => c.close());

describe("ACC-4 custody of shared accounts", () => {
  it("lists the live shared accounts a person holds, not disabled or rejected ones", async () => {
    const agency = await makeAgency(c);
    const unit = await makeUnit(c, agency.id);
    const holder = await makeAccount(c, { unitId: unit.id });
    const now = c.clock.now();
    const base = {
      agency_id: agency.id,
      custodian_account_id: holder.id,
      applied_by: holder.id,
      created_at: now,
      updated_at: now,
    };
    await c.db
      .insertInto("shared_accounts")
      .values([
        {
          ...base,
          type: "mail",
          username: `m.${holder.id}`,
          name: "收文信箱",
          status: "enabled",
          review_status: "approved",
        },
        {
          ...base,
          type: "agency",
          username: `a.${holder.id}`,
          name: "機關帳號",
          status: "inactive",
          review_status: "pending",
        },
        {
          ...base,
          type: "system",
          username: `s.${holder.id}`,
          name: "已停用",
          status: "disabled",
          review_status: "approved",
        },
        {
          ...base,
          type: "system",
          username: `r.${holder.id}`,
          name: "已駁回",
          status: "disabled",
          review_status: "rejected",
        },
      ])
      .execute();
    const held = await sharedAccountsHeldBy(c.db, holder.id);
    expect(held.map((h) => h.username).sort()).toEqual([`a.${holder.id}`, `m.${holder.id}`]);
    expect(held[0]).toEqual({ id: expect.any(Number), type: "agency", username: `a.${holder.id}`, name: "機關帳號" });
  });
});
