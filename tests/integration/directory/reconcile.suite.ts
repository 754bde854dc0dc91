import { Attribute, Change, type Client } from "ldapts";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Actor } from "../../../bff/actor.js";
import type { Container } from "../../../bff/container.js";
import { SYNC_JOB } from "../../../bff/directory/queue.js";
import { fixedClock } from "../../../bff/ports/clock.js";
import { startTestServer, testContainer } from "../../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, signInAs, type MadeAccount } from "../../helpers/factory.js";
import { BASE_DN, startDC, type SambaDC } from "../../helpers/samba.js";
import { adSkip } from "./ad-fixture.js";

/**
 * IDN-5 reconcile against a real Samba AD DC: drift injected straight into AD is found and
 * fixed through the normal sync jobs; objects the portal does not manage are reported and
 * never touched.
 */

const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let dc: SambaDC;
let c: Container;
let admin: Client;
let sys: Actor;
let ouA: string, ouB: string;
const people: Record<string, MadeAccount> = {};

/** uSNChanged and whenChanged of every user object: AD bumps them on any write. */
async function snapshot(): Promise<Map<string, string>> {
  const { searchEntries } = await admin.search(BASE_DN, {
    scope: "sub",
    filter: "(objectClass=user)",
    attributes: ["uSNChanged", "whenChanged"],
  });
  return new Map(searchEntries.map((e) => [e.dn.toLowerCase(), `${String(e.uSNChanged)}|${String(e.whenChanged)}`]));
}

async function adEntry(username: string) {
  const { searchEntries } = await admin.search(BASE_DN, {
    scope: "sub",
    filter: `(sAMAccountName=${username})`,
    attributes: [
      "displayName",
      "title",
      "department",
      "mail",
      "telephoneNumber",
      "userAccountControl",
      "adminDescription",
    ],
  });
  return searchEntries[0];
}

const modify = (dn: string, type: string, values: string[]) =>
  admin.modify(dn, [new Change({ operation: "replace", modification: new Attribute({ type, values }) })]);

async function enqueueAll() {
  const ids = await c.db.selectFrom("accounts").select("id").execute();
  await c.db.transaction().execute(async (trx) => {
    for (const { id } of ids) await c.directory.accountChanged(trx, { accountId: id, at: clock.now() });
  });
}

describe.skipIf(adSkip(inject))("reconcile against a real AD (Samba DC)", () => {
  beforeAll(async () => {
    dc = await startDC(inject("sambaTemplate"));
    admin = await dc.admin();
    ouA = await dc.createOU("PortalA");
    ouB = await dc.createOU("PortalB");
    c = await testContainer({ clock, env: dc.env({ A01: ouA, "*": ouB }) });
    const agency = await makeAgency(c, "研考會");
    await c.db.updateTable("org_nodes").set({ code: "A01" }).where("id", "=", agency.id).execute();
    const unit = await makeUnit(c, agency.id, "資訊科");
    const sysAccount = await makeAccount(c, { unitId: unit.id, role: "sys_admin", username: "rc.sys", name: "林系統" });
    for (const [u, name] of [
      ["rc.alice", "陳美玲"],
      ["rc.bob", "王小明"],
      ["rc.carol", "李淑芬"],
      ["rc.dave", "張志豪"],
      ["rc.erin", "黃雅婷"],
    ] as const) {
      people[u] = await makeAccount(c, { unitId: unit.id, username: u, name });
    }
    await c.db.updateTable("accounts").set({ title: "科員", office_phone: "06-2991111" }).execute();
    // rc.erin's name is already taken in AD by an object the portal does not manage.
    await admin.add(`CN=rc.erin,CN=Users,${BASE_DN}`, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: "rc.erin",
      displayName: "別人",
    });
    // Someone else's user inside a managed OU.
    await admin.add(`CN=outsider,${ouA}`, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: "outsider",
      title: "外部人員",
    });
    const ids = await c.db.selectFrom("accounts").select("id").where("username", "!=", "rc.erin").execute();
    await c.db.transaction().execute(async (trx) => {
      for (const { id } of ids) await c.directory.accountChanged(trx, { accountId: id, at: clock.now() });
    });
    await c.worker.drain();
    sys = (await signInAs(c, sysAccount)).actor;
  }, 120_000);

  afterAll(async () => {
    await admin?.unbind().catch(() => undefined);
    await c?.close();
    await dc?.destroy();
  });

  it("finds no fixable drift right after a sync, and reports the unmanaged objects", async () => {
    const report = await c.services.directoryAdmin.reconcile.reconcile(sys);
    expect(report.drift.filter((d) => d.fixable)).toEqual([]);
    const unmanaged = report.drift.filter((d) => d.kind === "unmanaged").map((d) => d.username);
    expect(unmanaged.sort()).toEqual(["outsider", "rc.erin"]);
    expect(report.managedObjects).toBe(5);
  });

  it("leaves an unmanaged AD user untouched through reconcile and its fix", async () => {
    await enqueueAll(); // even a sync job for rc.erin must not change the other object
    const before = await snapshot();
    await c.services.directoryAdmin.reconcile.reconcile(sys);
    await c.services.directoryAdmin.reconcile.fix(sys);
    await c.worker.drain();
    const after = await snapshot();
    expect(after.get(`cn=outsider,${ouA}`.toLowerCase())).toBe(before.get(`cn=outsider,${ouA}`.toLowerCase()));
    const erinDn = `cn=rc.erin,cn=users,${BASE_DN}`.toLowerCase();
    expect(after.get(erinDn)).toBe(before.get(erinDn));
    expect(String((await adEntry("outsider"))?.adminDescription ?? "")).toBe(""); // never marked
    expect(String((await adEntry("rc.erin"))?.displayName)).toBe("別人");
  });

  it("detects four kinds of injected drift and fixes each through the sync jobs", async () => {
    // Inject: delete, change the title, disable, move to the other managed OU.
    await admin.del(`CN=rc.alice,${ouA}`);
    await modify(`CN=rc.bob,${ouA}`, "title", ["課長"]);
    await modify(`CN=rc.carol,${ouA}`, "userAccountControl", ["514"]);
    await admin.modifyDN(`CN=rc.dave,${ouA}`, `CN=rc.dave,${ouB}`);

    const report = await c.services.directoryAdmin.reconcile.reconcile(sys);
    const fixable = report.drift.filter((d) => d.fixable).map((d) => [d.kind, d.username]);
    expect(fixable.sort()).toEqual([
      ["attributes", "rc.bob"],
      ["enabled", "rc.carol"],
      ["missing", "rc.alice"],
      ["ou", "rc.dave"],
    ]);
    const bob = report.drift.find((d) => d.username === "rc.bob")!;
    expect(bob.differences).toEqual([{ attribute: "title", label: "職稱", portal: "科員", ad: "課長" }]);

    clock.advance(60_000);
    const { queued } = await c.services.directoryAdmin.reconcile.fix(sys);
    expect(queued).toBe(4);
    // The fix goes the normal way: one sync job per account, audited once.
    const jobs = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("kind", "=", SYNC_JOB)
      .where("state", "=", "pending")
      .where("attempts", "=", 0) // rc.erin's job keeps failing: AD refuses, the object is not ours
      .execute();
    expect(jobs.map((j) => (j.payload as { accountId: number }).accountId).sort()).toEqual(
      ["rc.alice", "rc.bob", "rc.carol", "rc.dave"].map((u) => people[u]!.id).sort(),
    );
    const audit = await c.db
      .selectFrom("audit_log")
      .selectAll()
      .where("action", "=", "directory.reconcile-fix")
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(audit.actor_id).toBe(sys.accountId);
    expect(audit.detail).toMatchObject({ queued: 4 });
    await c.worker.drain();

    const again = await c.services.directoryAdmin.reconcile.reconcile(sys);
    expect(again.drift.filter((d) => d.fixable)).toEqual([]);
    // And an LDAP search shows AD equal to the portal.
    for (const u of ["rc.alice", "rc.bob", "rc.carol", "rc.dave"]) {
      const portal = await c.db
        .selectFrom("accounts")
        .select(["name", "title", "status"])
        .where("username", "=", u)
        .executeTakeFirstOrThrow();
      const e = (await adEntry(u))!;
      expect(e.dn.toLowerCase()).toBe(`cn=${u},${ouA}`.toLowerCase());
      expect(String(e.displayName)).toBe(portal.name);
      expect(String(e.title)).toBe(portal.title);
      expect(String(e.department)).toBe("資訊科");
      expect(String(e.telephoneNumber)).toBe("06-2991111");
      expect(Number(e.userAccountControl) & 2).toBe(portal.status === "enabled" ? 0 : 2);
      expect(String(e.adminDescription)).toBe("portal-managed");
    }
  });

  it("fixes one account on its own and refuses one without fixable drift", async () => {
    await modify(`CN=rc.bob,${ouA}`, "department", ["別的單位"]);
    await modify(`CN=rc.carol,${ouA}`, "title", ["別的職稱"]);
    await expect(
      c.services.directoryAdmin.reconcile.fix(sys, { accountIds: [people["rc.dave"]!.id] }),
    ).rejects.toMatchObject({ code: "not_found" });
    expect(await c.services.directoryAdmin.reconcile.fix(sys, { accountIds: [people["rc.bob"]!.id] })).toEqual({
      queued: 1,
    });
    await c.worker.drain();
    const left = (await c.services.directoryAdmin.reconcile.reconcile(sys)).drift.filter((d) => d.fixable);
    expect(left.map((d) => d.username)).toEqual(["rc.carol"]);
  });

  it("is for system admins only: others get not found, from the service and the page", async () => {
    const agencyAdmin = await makeAccount(c, { unitId: people["rc.bob"]!.unitId, role: "agency_admin" });
    const { actor } = await signInAs(c, agencyAdmin);
    await expect(c.services.directoryAdmin.reconcile.reconcile(actor)).rejects.toMatchObject({ code: "not_found" });
    await expect(c.services.directoryAdmin.reconcile.fix(actor)).rejects.toMatchObject({ code: "not_found" });
    await expect(c.services.directoryAdmin.links.importLinks(actor)).rejects.toMatchObject({ code: "not_found" });
    await expect(c.services.directoryAdmin.backlog.pending(actor)).rejects.toMatchObject({ code: "not_found" });

    const server = await startTestServer(c);
    try {
      const cookieOf = async (a: MadeAccount) => {
        const res = await fetch(`${server.url}/login`, {
          method: "POST",
          redirect: "manual",
          headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: server.url },
          body: new URLSearchParams({ username: a.username, password: a.password, redirectTo: "/" }).toString(),
        });
        return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
      };
      const other = await cookieOf(agencyAdmin);
      const page = await fetch(`${server.url}/admin/directory?check=1`, { headers: { Cookie: other } });
      expect(page.status).toBe(404);
      const fix = await fetch(`${server.url}/admin/directory?check=1`, {
        method: "POST",
        headers: { Cookie: other, Origin: server.url },
        body: new URLSearchParams({ intent: "fix" }),
        redirect: "manual",
      });
      expect(fix.status).toBe(404);
      const mine = await fetch(`${server.url}/admin/directory?check=1`, {
        headers: { Cookie: await cookieOf(people["rc.alice"]!) },
      });
      expect(mine.status).toBe(404);
      // The system admin sees the drift table on the page.
      const sysPage = await fetch(`${server.url}/admin/directory?check=1`, {
        headers: { Cookie: await cookieOf({ ...people["rc.alice"]!, username: "rc.sys" }) },
      });
      expect(sysPage.status).toBe(200);
      const html = await sysPage.text();
      expect(html).toContain("AD 同步管理作業");
      expect(html).toContain("rc.carol");
      expect(html).not.toContain("AD 未設定");
    } finally {
      await server.close();
    }
  });
});
