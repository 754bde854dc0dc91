import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { ConsoleSection } from "../../bff/console/registry.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { scheduleChange } from "../../bff/scheduled/changes.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeRepairType,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";
import { getAs, signInOverHttp } from "../helpers/http-session.js";

// ADR 20 管理主控台: one registry decides who sees which console function, with counts scoped to them.
const clock = fixedClock(new Date("2026-11-30T02:00:00Z"));
let c: Container;
let server: { url: string; close(): Promise<void> };
let agencyA: number, agencyB: number, unitA: number, unitB: number;
let sysAdmin: MadeAccount, adminA: MadeAccount, adminB: MadeAccount;
let itemKeeper: MadeAccount, typeKeeper: MadeAccount, plain: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const cookies = new Map<MadeAccount, string>();
let n = 0;

const get = (who: MadeAccount, path: string) => getAs(server.url, cookies.get(who), path);
const sections = (who: MadeAccount) => c.services.console.sections(actors.get(who)!);
/** "id" or "id 待審核=2" per entry, in order: the whole console in one comparable list. */
const flat = (s: ConsoleSection[]) =>
  s.flatMap((g) => g.entries.map((e) => [e.id, ...e.counts.map((k) => `${k.label}=${k.n}`)].join(" ")));

async function pendingApplication(agencyId: number, unitId: number) {
  n++;
  const now = clock.now();
  await c.db
    .insertInto("account_applications")
    .values({
      type: "activation",
      agency_id: agencyId,
      unit_id: unitId,
      username: `apply.${n}`,
      name: `申請人${n}`,
      submitted_at: now,
      updated_at: now,
    })
    .execute();
}
async function pendingSharedAccount(holder: MadeAccount) {
  n++;
  await c.services.sharedAccounts.apply(actors.get(holder)!, {
    type: "mail",
    username: `console.${n}`,
    name: `收文信箱${n}`,
    purpose: "機關收發文",
  });
}
async function pendingScheduled(target: MadeAccount, by: MadeAccount) {
  await c.db.transaction().execute((trx) =>
    scheduleChange(trx, {
      type: "account.disable",
      targetAccountId: target.id,
      agencyId: target.agencyId,
      executeAt: new Date(clock.now().getTime() + 86_400_000),
      payload: {},
      createdBy: by.id,
      now: clock.now(),
    }),
  );
}

beforeAll(async () => {
  c = await testContainer({ clock });
  server = await startTestServer(c);
  agencyA = (await makeAgency(c, "主控台甲局")).id;
  agencyB = (await makeAgency(c, "主控台乙局")).id;
  unitA = (await makeUnit(c, agencyA)).id;
  unitB = (await makeUnit(c, agencyB)).id;
  sysAdmin = await makeAccount(c, { unitId: unitA, role: "sys_admin" });
  adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  adminB = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
  itemKeeper = await makeAccount(c, { unitId: unitA });
  typeKeeper = await makeAccount(c, { unitId: unitB });
  plain = await makeAccount(c, { unitId: unitA });
  await makeItem(c, { agencyId: agencyA, siteId: (await makeSite(c)).id, custodians: [itemKeeper.id] });
  await makeRepairType(c, { agencyId: agencyB, custodians: [typeKeeper.id] });
  for (const a of [sysAdmin, adminA, adminB, itemKeeper, typeKeeper, plain]) {
    actors.set(a, (await signInAs(c, a)).actor);
    cookies.set(a, await signInOverHttp(server.url, a));
  }

  // Waiting work: agency A has one of each, agency B two of each (so the scopes can be told apart).
  await pendingApplication(agencyA, unitA);
  await pendingApplication(agencyB, unitB);
  await pendingApplication(agencyB, unitB);
  await pendingSharedAccount(plain);
  await pendingSharedAccount(typeKeeper);
  await pendingSharedAccount(typeKeeper);
  await pendingScheduled(plain, adminA);
  await pendingScheduled(typeKeeper, adminB);
  await pendingScheduled(adminB, adminB);
  // AD: two accounts waiting to sync, one of which has already failed once.
  await c.db.transaction().execute(async (trx) => {
    await c.directory.accountChanged(trx, { accountId: plain.id, at: clock.now() });
    await c.directory.accountChanged(trx, { accountId: typeKeeper.id, at: clock.now() });
  });
  await c.db
    .updateTable("jobs")
    .set({ attempts: 1, last_error: "AD 無法連線" })
    .where("kind", "=", "directory.sync-account")
    .where(sql<string>`payload->>'accountId'`, "=", String(typeKeeper.id))
    .execute();
  await c.services.ssoApplications.apply(actors.get(plain)!, {
    systemName: "主控台測試系統",
    ownerAgencyId: String(agencyA),
    contactName: "陳申請",
    contactPhone: "06-2991111",
    contactEmail: "owner@example.test",
    grantTypes: ["authorization_code"],
    scopes: ["openid"],
    redirectUris: "https://rp.example.test/cb",
    postLogoutRedirectUri: "",
    initiateLoginUri: "",
    reason: "測試",
  });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await c?.close();
});

describe("the console registry, per role", () => {
  it("a system admin sees every function, with counts over every agency", async () => {
    expect(flat(await sections(sysAdmin))).toEqual([
      "accounts",
      "account-reviews 待審核=3",
      "shared-accounts",
      "shared-account-reviews 待審核=3",
      "scheduled 待執行=3",
      "directory 待同步=2 失敗=1",
      "sso-applications 待審核=1",
      "sso-clients",
      "apps",
      "params",
      "jobs 停止重試=0",
      "items",
      "repair-types",
    ]);
    expect((await sections(sysAdmin)).map((s) => s.group)).toEqual([
      "帳號管理",
      "AD 同步管理作業",
      "應用系統服務介接管理",
      "首頁應用程式管理",
      "系統參數管理",
      "物品管理",
    ]);
  });

  it("an agency admin sees 帳號管理 and 物品管理 only, counting their own agency", async () => {
    expect(flat(await sections(adminA))).toEqual([
      "accounts",
      "account-reviews 待審核=1",
      "shared-accounts",
      "shared-account-reviews 待審核=1",
      "scheduled 待執行=1",
      "items",
      "repair-types",
    ]);
    // From the other agency's side: B's own figures, none of A's.
    expect(flat(await sections(adminB))).toEqual([
      "accounts",
      "account-reviews 待審核=2",
      "shared-accounts",
      "shared-account-reviews 待審核=2",
      "scheduled 待執行=2",
      "items",
      "repair-types",
    ]);
  });

  it("another agency's new pending work does not change an agency admin's counts", async () => {
    const before = flat(await sections(adminB));
    await pendingApplication(agencyA, unitA);
    await pendingSharedAccount(plain);
    await pendingScheduled(itemKeeper, adminA);
    expect(flat(await sections(adminB))).toEqual(before);
    expect(flat(await sections(adminA)).filter((e) => e.includes("="))).toEqual([
      "account-reviews 待審核=2",
      "shared-account-reviews 待審核=2",
      "scheduled 待執行=2",
    ]);
  });

  it("a plain user with a custodian duty sees only that duty's console", async () => {
    expect(flat(await sections(itemKeeper))).toEqual(["items"]);
    expect(flat(await sections(typeKeeper))).toEqual(["repair-types"]);
    expect(await c.services.console.hasAny(actors.get(itemKeeper)!)).toBe(true);
  });

  it("a plain user without one has no console", async () => {
    expect(await sections(plain)).toEqual([]);
    expect(await c.services.console.hasAny(actors.get(plain)!)).toBe(false);
  });
});

describe("over HTTP", () => {
  const layoutData = async (who: MadeAccount) => {
    const res = await get(who, "/admin?_data=routes/_app.admin");
    expect(res.status).toBe(200);
    return flat(((await res.json()) as { sections: ConsoleSection[] }).sections);
  };

  it("/admin renders the actor's console; its nav data is the registry's", async () => {
    const res = await get(adminB, "/admin");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("管理主控台");
    expect(html).toContain("個人公務帳號審核");
    expect(html).not.toContain("AD 同步管理作業");
    expect(await layoutData(adminB)).toEqual(flat(await sections(adminB)));
    expect(await layoutData(typeKeeper)).toEqual(["repair-types"]);
  });

  it("a plain user gets 404 at /admin and at every console page; the header has no console link", async () => {
    for (const path of ["/admin", "/admin/accounts", "/admin/items", "/admin/repair-types"])
      expect((await get(plain, path)).status, path).toBe(404);
    const home = await (await get(plain, "/")).text();
    expect(home).not.toContain("管理主控台");
    expect(await (await get(itemKeeper, "/")).text()).toContain('href="/admin"');
  });

  it("我的 links to the console instead of listing its functions; personal links stay", async () => {
    const admin = await (await get(adminA, "/me")).text();
    expect(admin).toContain('href="/admin"');
    for (const moved of ["/admin/account-reviews", "/admin/shared-account-reviews", "/admin/scheduled", "/admin/items"])
      expect(admin, moved).not.toContain(`href="${moved}"`);
    expect(admin).toContain('href="/shared-accounts"'); // 我的機關及資訊系統帳號管理
    const mine = await (await get(plain, "/me")).text();
    expect(mine).not.toContain('href="/admin"');
    expect(mine).toContain('href="/shared-accounts"');
  });

  it("a custodian inside the console still gets 404 from pages that are not theirs", async () => {
    expect((await get(itemKeeper, "/admin/items")).status).toBe(200);
    expect((await get(itemKeeper, "/admin/accounts")).status).toBe(404);
    expect((await get(itemKeeper, "/admin/repair-types")).status).toBe(404);
  });

  it("the old 物品管理 and 報修類型管理 URLs redirect permanently, keeping path and query", async () => {
    for (const [from, to] of [
      ["/items", "/admin/items"],
      ["/items/venues?q=%E6%9C%83%E8%AD%B0&page=2", "/admin/items/venues?q=%E6%9C%83%E8%AD%B0&page=2"],
      ["/items/cars/12?tab=records&from=2026-11-01", "/admin/items/cars/12?tab=records&from=2026-11-01"],
      ["/items/venues/3/records.xlsx?from=2026-11-01", "/admin/items/venues/3/records.xlsx?from=2026-11-01"],
      ["/repairs/types", "/admin/repair-types"],
      ["/repairs/types/7?tab=holders", "/admin/repair-types/7?tab=holders"],
      ["/repairs/types/new", "/admin/repair-types/new"],
    ]) {
      const res = await get(adminA, from!);
      expect(res.status, from).toBe(308);
      expect(res.headers.get("location"), from).toBe(to);
    }
    // What stayed: the people lookup and the 報修 pages themselves.
    expect((await get(adminA, "/items/people?q=x")).status).not.toBe(308);
    expect((await get(adminA, "/repairs")).status).toBe(200);
  });
});
