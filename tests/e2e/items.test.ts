import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeRepairTicket,
  makeRepairType,
  makeSite,
  makeUnit,
  type MadeAccount,
} from "../helpers/factory.js";
import { browserSkip, desktopPage, screenshotPath, signInThroughPage, seriousViolations } from "./browser.js";

const skip = browserSkip();

// The 物品管理 console is designed for a desktop; it must stay usable and accessible.
describe.skipIf(skip)("物品管理 and 報修類型管理 consoles in Chromium (1280x800)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let admin: MadeAccount;
  let venueId: number;
  let carId: number;
  let repairTypeId: number;

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "主控台測試局");
    const unit = (await makeUnit(c, agency.id, "總務科")).id;
    admin = await makeAccount(c, { unitId: unit, role: "agency_admin", name: "主控台管理者" });
    const site = await makeSite(c, "主控台測試大樓");
    venueId = (
      await makeItem(c, { agencyId: agency.id, siteId: site.id, name: "主控台會議室", custodians: [admin.id] })
    ).id;
    carId = (
      await makeItem(c, {
        kind: "car",
        agencyId: agency.id,
        siteId: site.id,
        name: "主控台公務車",
        custodians: [admin.id],
      })
    ).id;
    repairTypeId = (await makeRepairType(c, { agencyId: agency.id, name: "主控台資訊設備", custodians: [admin.id] }))
      .id;
    for (let i = 0; i < 3; i++) {
      await makeRepairTicket(c, {
        typeId: repairTypeId,
        reporterId: admin.id,
        unitId: unit,
        siteId: site.id,
        status: i === 0 ? "pending" : "processed",
      });
    }
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    page = await desktopPage(browser);
    await signInThroughPage(page, server.url, admin);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  const pages = () => [
    ["items", "/admin/items"],
    ["items-venues", "/admin/items/venues"],
    ["items-venues-new", "/admin/items/venues/new"],
    ["items-venue-info", `/admin/items/venues/${venueId}`],
    ["items-venue-custodians", `/admin/items/venues/${venueId}?tab=holders`],
    ["items-venue-records", `/admin/items/venues/${venueId}?tab=records`],
    ["items-cars-new", "/admin/items/cars/new"],
    ["items-car-info", `/admin/items/cars/${carId}`],
    ["items-drivers", "/admin/items/drivers"],
    ["repairs-types", "/admin/repair-types"],
    ["repairs-types-new", "/admin/repair-types/new"],
    ["repairs-type-info", `/admin/repair-types/${repairTypeId}`],
    ["repairs-type-holders", `/admin/repair-types/${repairTypeId}?tab=holders`],
    ["repairs-type-status", `/admin/repair-types/${repairTypeId}?tab=status`],
  ];

  it("every console page loads with no serious or critical axe violations", async () => {
    for (const [name, path] of pages()) {
      const res = await page.goto(`${server.url}${path}`);
      expect(res?.status(), path).toBe(200);
      await page.screenshot({ path: screenshotPath(`${name}-1280`), fullPage: true });
      const serious = await seriousViolations(page);
      expect(serious, path).toEqual([]);
    }
    // 14 pages, each with a full-page screenshot and an axe run: more than the default 30 s on a busy machine.
  }, 120_000);

  it("a save and a delete redirect with a message announced once in the status region", async () => {
    const agencyId = (
      await c.db.selectFrom("items").select("agency_id").where("id", "=", venueId).executeTakeFirstOrThrow()
    ).agency_id;
    const siteId = (
      await c.db.selectFrom("items").select("site_id").where("id", "=", venueId).executeTakeFirstOrThrow()
    ).site_id;
    const doomed = await makeItem(c, { agencyId, siteId, name: "閃訊刪除室", custodians: [admin.id] });
    await page.goto(`${server.url}/admin/items/venues/${doomed.id}`);
    await page.getByRole("button", { name: "儲存" }).click();
    const status = page.getByRole("status").getByText("已儲存場地「閃訊刪除室」");
    await status.waitFor();
    expect(page.url()).toBe(`${server.url}/admin/items/venues/${doomed.id}`);
    await page.reload();
    await page.getByRole("heading", { name: "閃訊刪除室" }).waitFor();
    expect(await page.getByText("已儲存場地").count()).toBe(0);

    await page.getByRole("link", { name: "刪除", exact: true }).click();
    await page
      .getByRole("dialog", { name: "確定要刪除「閃訊刪除室」嗎？" })
      .getByRole("button", { name: "確定刪除" })
      .click();
    await page.getByRole("status").getByText("已刪除場地「閃訊刪除室」").waitFor();
    expect(page.url()).toBe(`${server.url}/admin/items/venues`);
    // (The live region itself has no box: the message inside it is fixed at the top of the screen.)
    // A client-side navigation that does not reload the root's data leaves the message behind.
    await page.getByRole("navigation", { name: "頁面位置" }).getByRole("link", { name: "物品管理" }).click();
    await page.waitForURL(`${server.url}/admin/items`);
    await page.getByText("已刪除場地").waitFor({ state: "detached", timeout: 5000 });
    await page.goBack();
    await page.waitForURL(`${server.url}/admin/items/venues`);
    await page.reload();
    expect(await page.getByText("已刪除場地").count()).toBe(0);
  }, 120_000);

  it("the venue list finds the venue by keyword", async () => {
    await page.goto(`${server.url}/admin/items/venues?q=${encodeURIComponent("主控台")}`);
    expect(await page.getByRole("link", { name: /主控台會議室/ }).count()).toBeGreaterThan(0);
  });
});
