import type { Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Actor } from "../../../bff/actor.js";
import type { Container } from "../../../bff/container.js";
import { fixedClock } from "../../../bff/ports/clock.js";
import { testContainer } from "../../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, signInAs, type MadeAccount } from "../../helpers/factory.js";
import { BASE_DN, startDC, type SambaDC } from "../../helpers/samba.js";
import { adSkip } from "./ad-fixture.js";

/**
 * IDN-5 part 2 against a real Samba DC: linking the city's existing AD reads it and
 * changes nothing in it (every object's uSNChanged / whenChanged and the DC's
 * highestCommittedUSN stay as they were), links by sAMAccountName, and reports conflicts.
 */
describe.skipIf(adSkip(inject))("linking an existing directory (Samba DC)", () => {
  const clock = fixedClock(new Date("2026-11-30T03:00:00Z"));
  let dc: SambaDC;
  let c: Container;
  let admin: Client;
  let sys: Actor;
  let staff: string;
  const portal: Record<string, MadeAccount> = {};

  /** Every object under the base DN (users, OUs, containers) with its change stamps. */
  async function snapshot() {
    const { searchEntries } = await admin.search(BASE_DN, {
      scope: "sub",
      filter: "(objectClass=*)",
      attributes: ["uSNChanged", "whenChanged"],
      paged: { pageSize: 500 },
    });
    const root = await admin.search("", { scope: "base", attributes: ["highestCommittedUSN"] });
    return {
      objects: Object.fromEntries(
        searchEntries.map((e) => [e.dn.toLowerCase(), `${String(e.uSNChanged)}|${String(e.whenChanged)}`]),
      ),
      highest: String(root.searchEntries[0]?.highestCommittedUSN),
    };
  }

  const person = (dn: string, sam: string, extra: Record<string, string> = {}) =>
    admin.add(dn, { objectClass: ["top", "person", "organizationalPerson", "user"], sAMAccountName: sam, ...extra });

  const state = (accountId: number) =>
    c.db.selectFrom("directory_sync_state").selectAll().where("account_id", "=", accountId).executeTakeFirst();

  beforeAll(async () => {
    dc = await startDC(inject("sambaTemplate"));
    admin = await dc.admin();
    // The city's AD as the portal finds it: people in OU=Staff, one still in CN=Users.
    staff = await dc.createOU("Staff");
    await person(`CN=lk.same,${staff}`, "lk.same", { displayName: "陳美玲", mail: "same@example.tw", title: "科員" });
    await person(`CN=lk.nomail,${staff}`, "lk.nomail", { displayName: "王小明" });
    await person(`CN=LK.Upper,${staff}`, "LK.Upper", { displayName: "李淑芬" });
    await person(`CN=lk.oldou,CN=Users,${BASE_DN}`, "lk.oldou", { displayName: "張志豪" });
    await person(`CN=lk.rename,${staff}`, "lk.rename", { displayName: "黃雅婷", mail: "rename@example.tw" });
    await person(`CN=lk.remail,${staff}`, "lk.remail", { displayName: "吳建宏", mail: "old@example.tw" });
    await person(`CN=lk.adonly,${staff}`, "lk.adonly", { displayName: "只在AD" });

    c = await testContainer({ clock, env: dc.env({ A01: staff }) });
    const agency = await makeAgency(c, "人事處");
    await c.db.updateTable("org_nodes").set({ code: "A01" }).where("id", "=", agency.id).execute();
    const unit = await makeUnit(c, agency.id, "人事科");
    const sysAccount = await makeAccount(c, { unitId: unit.id, role: "sys_admin", username: "lk.sys", name: "林系統" });
    for (const [u, name, mail] of [
      ["lk.same", "陳美玲", "same@example.tw"],
      ["lk.nomail", "王小明", "nomail@example.tw"],
      ["lk.upper", "李淑芬", null],
      ["lk.oldou", "張志豪", null],
      ["lk.rename", "黃淑惠", "rename@example.tw"],
      ["lk.remail", "吳建宏", "new@example.tw"],
      ["lk.portalonly", "只在入口網", null],
    ] as const) {
      portal[u] = await makeAccount(c, { unitId: unit.id, username: u, name });
      await c.db
        .updateTable("accounts")
        .set({ needs_official_mail: false, backup_email: mail })
        .where("id", "=", portal[u]!.id)
        .execute();
    }
    sys = (await signInAs(c, sysAccount)).actor;
  }, 120_000);

  afterAll(async () => {
    await admin?.unbind().catch(() => undefined);
    await c?.close();
    await dc?.destroy();
  });

  it("changes nothing in AD, links by sAMAccountName and reports conflicts", async () => {
    const before = await snapshot();
    const report = await c.services.directoryAdmin.links.importLinks(sys);
    const after = await snapshot();
    expect(after).toEqual(before);

    expect(report.linked.map((r) => r.username).sort()).toEqual(["lk.nomail", "lk.oldou", "lk.same", "lk.upper"]);
    expect(report.linked.find((r) => r.username === "lk.oldou")?.movesTo).toBe(staff);
    expect(report.linked.find((r) => r.username === "lk.same")?.movesTo).toBeNull();
    expect(report.conflicts.map((x) => [x.username, x.reason]).sort()).toEqual([
      ["lk.remail", "mail"],
      ["lk.rename", "name"],
    ]);
    const rename = report.conflicts.find((x) => x.username === "lk.rename")!;
    expect([rename.portalName, rename.adName]).toEqual(["黃淑惠", "黃雅婷"]);
    expect(report.adOnly.map((r) => r.username)).toEqual(["lk.adonly"]); // no Administrator, krbtgt, Guest
    expect(report.portalOnly.map((r) => r.username).sort()).toEqual(["lk.portalonly", "lk.sys"]);

    // The link is the AD object's DN and linked_at in the sync state; conflicts are not linked.
    const same = await state(portal["lk.same"]!.id);
    expect(same?.dn?.toLowerCase()).toBe(`cn=lk.same,${staff}`.toLowerCase());
    expect(same?.linked_at).toEqual(clock.now());
    expect(await state(portal["lk.rename"]!.id)).toBeUndefined();
    const audit = await c.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "directory.link-import")
      .executeTakeFirstOrThrow();
    expect(audit.detail).toMatchObject({ linked: 4, conflicts: 2, adOnly: 1, portalOnly: 2 });
  });

  it("is idempotent: a second import links nothing new and still changes nothing in AD", async () => {
    const before = await snapshot();
    clock.advance(60_000);
    const report = await c.services.directoryAdmin.links.importLinks(sys);
    expect(report.linked).toEqual([]);
    expect(report.alreadyLinked).toBe(4);
    expect(await snapshot()).toEqual(before);
    // The first link time stays.
    expect((await state(portal["lk.same"]!.id))?.linked_at).toEqual(new Date(clock.now().getTime() - 60_000));
  });

  it("a linked object becomes managed only when an admin fixes it in reconcile, through the sync job", async () => {
    const report = await c.services.directoryAdmin.reconcile.reconcile(sys);
    const kinds = Object.fromEntries(report.drift.map((d) => [d.username, d.kind]));
    expect(kinds).toMatchObject({
      "lk.same": "linked",
      "lk.oldou": "linked",
      "lk.rename": "unmanaged",
      "lk.remail": "unmanaged",
      "lk.portalonly": "missing",
      "lk.adonly": "unmanaged",
    });
    // An admin checked lk.rename is the same person and links it by hand (audited).
    await c.services.directoryAdmin.links.linkOne(sys, portal["lk.rename"]!.id);
    expect(
      await c.db.selectFrom("audit_log").select("target_id").where("action", "=", "directory.link").execute(),
    ).toEqual([{ target_id: String(portal["lk.rename"]!.id) }]);

    await c.services.directoryAdmin.reconcile.fix(sys);
    await c.worker.drain();
    const managed = (await c.services.directoryAdmin.reconcile.reconcile(sys)).drift;
    expect(managed.filter((d) => d.fixable)).toEqual([]);
    // Adopted: marked, moved into the agency's OU, the portal's name written over AD's.
    const { searchEntries } = await admin.search(BASE_DN, {
      scope: "sub",
      filter:
        "(|(sAMAccountName=lk.oldou)(sAMAccountName=lk.rename)(sAMAccountName=lk.remail)(sAMAccountName=lk.adonly))",
      attributes: ["sAMAccountName", "adminDescription", "displayName", "mail"],
    });
    const by = Object.fromEntries(searchEntries.map((e) => [String(e.sAMAccountName), e]));
    expect(by["lk.oldou"]!.dn.toLowerCase()).toBe(`cn=lk.oldou,${staff}`.toLowerCase());
    expect(String(by["lk.oldou"]!.adminDescription)).toBe("portal-managed");
    expect(String(by["lk.rename"]!.displayName)).toBe("黃淑惠");
    // Not linked, so never touched.
    expect(String(by["lk.remail"]!.adminDescription ?? "")).toBe("");
    expect(String(by["lk.remail"]!.mail)).toBe("old@example.tw");
    expect(String(by["lk.adonly"]!.adminDescription ?? "")).toBe("");
  });

  it("refuses a link for an account AD does not have, and is for system admins only", async () => {
    const newcomer = await makeAccount(c, { unitId: portal["lk.same"]!.unitId, username: "lk.newcomer" });
    await expect(c.services.directoryAdmin.links.linkOne(sys, newcomer.id)).rejects.toMatchObject({
      code: "conflict",
    });
    await expect(c.services.directoryAdmin.links.linkOne(sys, 999_999)).rejects.toMatchObject({ code: "not_found" });
    const { actor } = await signInAs(c, portal["lk.same"]!);
    await expect(c.services.directoryAdmin.links.importLinks(actor)).rejects.toMatchObject({ code: "not_found" });
    await expect(c.services.directoryAdmin.links.linkOne(actor, portal["lk.remail"]!.id)).rejects.toMatchObject({
      code: "not_found",
    });
  });
});
