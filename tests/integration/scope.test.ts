import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";

let c: Container;
let adminA: MadeAccount, adminB: MadeAccount, sys: MadeAccount;
let userA: MadeAccount, userA2: MadeAccount, userB: MadeAccount, userSub: MadeAccount;

beforeAll(async () => {
  c = await testContainer();
  const agencyA = await makeAgency(c, "甲機關");
  const agencyB = await makeAgency(c, "乙機關");
  const subOfA = await makeAgency(c, "甲機關所屬", agencyA.id);
  const unitA = await makeUnit(c, agencyA.id, "甲一科");
  const deepA = await makeUnit(c, unitA.id, "甲一科第二股");
  const unitB = await makeUnit(c, agencyB.id, "乙一科");
  const unitSub = await makeUnit(c, subOfA.id, "所屬一科");
  adminA = await makeAccount(c, { unitId: unitA.id, role: "agency_admin" });
  adminB = await makeAccount(c, { unitId: unitB.id, role: "agency_admin" });
  sys = await makeAccount(c, { unitId: unitB.id, role: "sys_admin" });
  userA = await makeAccount(c, { unitId: deepA.id });
  userA2 = await makeAccount(c, { unitId: unitA.id });
  userB = await makeAccount(c, { unitId: unitB.id });
  userSub = await makeAccount(c, { unitId: unitSub.id });
});
afterAll(() => c?.close());

const read = async (who: MadeAccount, target: MadeAccount) => {
  const { actor } = await signInAs(c, who);
  return c.services.accounts.getAccount(actor, target.id).then(
    (a) => a.id,
    (e: { code: string }) => e.code,
  );
};

describe("scope (ORG-1, roles)", () => {
  it("a person's agency is the nearest agency above their unit", async () => {
    expect(userA.agencyId).toBe(adminA.agencyId);
    expect(userSub.agencyId).not.toBe(adminA.agencyId);
  });

  it("an agency admin reads accounts of their own agency, at any depth", async () => {
    expect(await read(adminA, userA)).toBe(userA.id);
    expect(await read(adminA, userA2)).toBe(userA2.id);
  });

  it("an agency admin cannot read another agency's account: not found", async () => {
    expect(await read(adminA, userB)).toBe("not_found");
    expect(await read(adminB, userA)).toBe("not_found");
  });

  it("own agency excludes subordinate agencies", async () => {
    expect(await read(adminA, userSub)).toBe("not_found");
  });

  it("a general user reads only themselves", async () => {
    expect(await read(userA, userA)).toBe(userA.id);
    expect(await read(userA, userA2)).toBe("not_found");
  });

  it("a system admin reads every agency", async () => {
    expect(await read(sys, userA)).toBe(userA.id);
    expect(await read(sys, userSub)).toBe(userSub.id);
  });

  it("out of scope writes are refused the same way and change nothing", async () => {
    const { actor } = await signInAs(c, adminB);
    await expect(
      c.services.accounts.setStatus(actor, userA.id, { status: "disabled", reason: "離職" }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(c.services.accounts.unlock(actor, userA.id)).rejects.toMatchObject({ code: "not_found" });
    const row = await c.db.selectFrom("accounts").select("status").where("id", "=", userA.id).executeTakeFirstOrThrow();
    expect(row.status).toBe("enabled");
  });

  it("a general user cannot use admin actions, even on themselves", async () => {
    const { actor } = await signInAs(c, userA2);
    await expect(c.services.accounts.unlock(actor, userA2.id)).rejects.toMatchObject({ code: "not_found" });
  });
});
