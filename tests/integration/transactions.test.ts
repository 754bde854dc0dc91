import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeItem, makeSite, makeUnit, signInAs } from "../helpers/factory.js";

/**
 * One transaction per use case: a change and its audit or change-log row commit together.
 * A trigger refuses the second write; the first must then be rolled back, not left behind.
 */
let c: Container;
let sysActor: Actor, adminActor: Actor;
let agencyId: number, unitId: number;

beforeAll(async () => {
  c = await testContainer();
  agencyId = (await makeAgency(c)).id;
  unitId = (await makeUnit(c, agencyId)).id;
  sysActor = (await signInAs(c, await makeAccount(c, { unitId, role: "sys_admin" }))).actor;
  adminActor = (await signInAs(c, await makeAccount(c, { unitId, role: "agency_admin" }))).actor;
  await sql`CREATE FUNCTION test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION 'refused by the test'; END $$`.execute(c.db);
  await sql`CREATE TRIGGER refuse_audit BEFORE INSERT ON audit_log FOR EACH ROW
    WHEN (NEW.action IN ('oidc_client.rotate_secret', 'oidc_client.transfer_settings'))
    EXECUTE FUNCTION test_refuse()`.execute(c.db);
  await sql`CREATE TRIGGER refuse_change BEFORE INSERT ON account_changes FOR EACH ROW
    WHEN (NEW.field = '保管移轉') EXECUTE FUNCTION test_refuse()`.execute(c.db);
});
afterAll(() => c?.close());

const clientRow = (clientId: string) =>
  c.db.selectFrom("oidc_clients").selectAll().where("client_id", "=", clientId).executeTakeFirstOrThrow();

describe("a change and its audit or change-log row commit together", () => {
  it("a client secret is not rotated when its audit row cannot be written", async () => {
    const { clientId } = await registerClient(c.db, { name: "交易測試系統", grantTypes: ["client_credentials"] });
    const before = await clientRow(clientId);
    await expect(c.services.ssoClients.rotateSecret(sysActor, clientId)).rejects.toThrow("refused by the test");
    expect((await clientRow(clientId)).client_secret_hash).toBe(before.client_secret_hash);
  });

  it("transfer sign-in settings are not changed when their audit row cannot be written", async () => {
    const { clientId } = await registerClient(c.db, { name: "交易測試系統二" });
    await expect(
      c.services.ssoClients.setTransfer(sysActor, clientId, { initiateLoginUri: "", preApproved: "on" }),
    ).rejects.toThrow("refused by the test");
    expect((await clientRow(clientId)).pre_approved).toBe(false);
  });

  it("custody is not moved when the account's change log cannot be written", async () => {
    const keeper = await makeAccount(c, { unitId });
    const colleague = await makeAccount(c, { unitId });
    const item = await makeItem(c, { agencyId, siteId: (await makeSite(c)).id, custodians: [keeper.id] });
    await expect(
      c.services.accounts.transferCustody(adminActor, keeper.id, {
        custody: `venue:${item.id}`,
        toAccountId: String(colleague.id),
        reason: "離職移交",
      }),
    ).rejects.toThrow("refused by the test");
    const slots = await c.db
      .selectFrom("item_custodians")
      .select("account_id")
      .where("item_id", "=", item.id)
      .execute();
    expect(slots.map((s) => s.account_id)).toEqual([keeper.id]);
    const log = await c.db.selectFrom("custodian_changes").select("id").where("item_id", "=", item.id).execute();
    expect(log).toEqual([]);
  });
});
