import type { Client } from "ldapts";
import { Attribute, Change } from "ldapts";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { BASE_DN, startDC, type SambaDC } from "../helpers/samba.js";
import { adSkip } from "../integration/directory/ad-fixture.js";
import { browserSkip, collectCspErrors, screenshotPath, seriousViolations } from "./browser.js";

const skip = browserSkip() ?? adSkip(inject);

// AD 同步管理作業 is a desktop console for system admins, against a real DC (Samba).
describe.skipIf(skip)("AD 同步管理作業 in Chromium (1280x800)", () => {
  const clock = fixedClock(new Date());
  let dc: SambaDC;
  let c: Container;
  let admin: Client;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let sys: MadeAccount;
  let ouA: string;
  const csp: string[] = [];

  const modify = (dn: string, type: string, values: string[]) =>
    admin.modify(dn, [new Change({ operation: "replace", modification: new Attribute({ type, values }) })]);

  beforeAll(async () => {
    dc = await startDC(inject("sambaTemplate"));
    admin = await dc.admin();
    ouA = await dc.createOU("PortalA");
    c = await testContainer({ clock, env: dc.env({ "*": ouA }) });
    server = await startTestServer(c);
    const agency = await makeAgency(c, "研究發展考核委員會");
    const unit = await makeUnit(c, agency.id, "智慧發展中心");
    sys = await makeAccount(c, { unitId: unit.id, role: "sys_admin", username: "e2e.sys", name: "林系統" });
    for (const [u, name] of [
      ["e2e.chen", "陳美玲"],
      ["e2e.wang", "王小明"],
      ["e2e.lee", "李淑芬"],
      ["e2e.taken", "黃雅婷"],
    ] as const) {
      await makeAccount(c, { unitId: unit.id, username: u, name });
    }
    await c.db.updateTable("accounts").set({ title: "科員" }).execute();
    // An object of someone else holds e2e.taken's name: its sync fails with AD's reason.
    await admin.add(`CN=e2e.taken,CN=Users,${BASE_DN}`, {
      objectClass: ["top", "person", "organizationalPerson", "user"],
      sAMAccountName: "e2e.taken",
    });
    const ids = await c.db.selectFrom("accounts").select("id").execute();
    await c.db.transaction().execute(async (trx) => {
      for (const { id } of ids) await c.directory.accountChanged(trx, { accountId: id, at: clock.now() });
    });
    await c.worker.drain();
    // Drift made in AD behind the portal's back.
    await modify(`CN=e2e.chen,${ouA}`, "title", ["課長"]);
    await modify(`CN=e2e.wang,${ouA}`, "userAccountControl", ["514"]);
    await admin.del(`CN=e2e.lee,${ouA}`);

    browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
      locale: "zh-TW",
      timezoneId: "Asia/Taipei",
    });
    collectCspErrors(page, csp);
    await page.goto(`${server.url}/login`);
    await page.locator('input[name="username"]').fill(sys.username);
    await page.locator('input[name="password"]').fill(sys.password);
    await page.getByRole("button", { name: "登入", exact: true }).click();
    await page.waitForURL(`${server.url}/`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await admin?.unbind().catch(() => undefined);
    await c?.close();
    await dc?.destroy();
  });

  const serious = async () => await seriousViolations(page);

  it("shows the backlog and the failure with AD's reason, reached from the header's console", async () => {
    // The header's one 管理主控台 link, then the console's navigation (ADR 20).
    await page.locator(".app-header").getByRole("link", { name: "管理主控台" }).click();
    await page.waitForURL(`${server.url}/admin`);
    await page
      .getByRole("navigation", { name: "管理主控台" })
      .getByRole("link", { name: /AD 同步管理作業/ })
      .click();
    await page.waitForURL(`${server.url}/admin/directory`);
    // A client-side navigation changes the URL before the new page renders: wait for its heading.
    await page.getByRole("heading", { level: 1, name: "AD 同步管理作業" }).waitFor();
    const failures = page.getByRole("table", { name: "同步失敗的作業" });
    expect(await failures.textContent()).toContain("不是入口網管理的物件");
    expect(await page.getByRole("button", { name: "重試 e2e.taken" }).count()).toBe(1);
    expect(await serious()).toEqual([]);
  }, 60_000);

  it("lists the drift, fixes it through the sync jobs, and then AD equals the portal", async () => {
    await page.goto(`${server.url}/admin/directory`);
    await page.getByRole("button", { name: "開始比對" }).click({ timeout: 10_000 });
    await page.waitForURL(/check=1/, { timeout: 10_000 });
    const drift = page.getByRole("table", { name: "入口網與 AD 的差異" });
    const text = (await drift.textContent()) ?? "";
    expect(text).toContain("職稱：科員 → AD 課長");
    expect(text).toContain("啟用狀態不同");
    expect(text).toContain("AD 沒有此帳號");
    expect(text).toContain("非入口網管理的物件（僅列出）");
    expect(await serious()).toEqual([]);
    await page.screenshot({ path: screenshotPath("directory-admin-drift"), fullPage: true });

    await page.getByRole("button", { name: /修正全部差異/ }).click();
    await page.getByText("已為 3 個帳號排入同步作業。").waitFor({ timeout: 10_000 });
    await c.worker.drain();
    await page.getByRole("button", { name: "重新比對" }).click();
    await page.getByText(/可修正 0 筆/).waitFor();
    const after = (await page.getByRole("table", { name: "入口網與 AD 的差異" }).textContent()) ?? "";
    expect(after).not.toContain("職稱");
    expect(after).toContain("e2e.taken"); // still only reported
  }, 60_000);

  it("runs the link import and shows its report", async () => {
    await page.goto(`${server.url}/admin/directory`);
    await page.getByRole("button", { name: "匯入並連結" }).click();
    await page.getByText(/匯入：AD 人員/).waitFor();
    expect(await page.getByRole("heading", { name: /衝突（未連結）/ }).count()).toBe(1);
    expect(await serious()).toEqual([]);
    await page.screenshot({ path: screenshotPath("directory-admin-link"), fullPage: true });
    expect(csp).toEqual([]);
  }, 60_000);
});
