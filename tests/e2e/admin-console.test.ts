import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  desktopPage,
  PHONE,
  screenshotPath,
  signInThroughPage,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

/** Marks the document; a full page load loses the mark, a client-side navigation keeps it. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { consoleMark: number }).consoleMark = 1));
const marked = (page: Page) => page.evaluate(() => (window as unknown as { consoleMark?: number }).consoleMark === 1);

/** Lines each label in the header takes: one client rect per line of each of its text nodes. */
const headerLines = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll(".app-header a, .app-header button")]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => {
        const tops = new Set<number>();
        const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
        for (let t = walker.nextNode(); t; t = walker.nextNode()) {
          if (!t.textContent?.trim()) continue;
          const r = document.createRange();
          r.selectNodeContents(t);
          for (const rect of r.getClientRects()) tops.add(Math.round(rect.top));
        }
        return { text: (el.textContent ?? "").trim(), lines: tops.size };
      })
      .filter((t) => t.text !== ""),
  );

// ADR 20: the 管理主控台 at desktop (1280) and phone (360) width.
describe.skipIf(skip)("管理主控台 in Chromium", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let sysAdmin: MadeAccount;
  let agencyAdmin: MadeAccount;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "主控台瀏覽器局");
    const unit = (await makeUnit(c, agency.id)).id;
    sysAdmin = await makeAccount(c, { unitId: unit, role: "sys_admin", name: "系統管理者歐陽大明" });
    agencyAdmin = await makeAccount(c, { unitId: unit, role: "agency_admin", name: "機關管理者司馬小華" });
    const now = c.clock.now();
    await c.db
      .insertInto("account_applications")
      .values({
        type: "activation",
        agency_id: agency.id,
        unit_id: unit,
        username: "console.apply",
        name: "申請人甲",
        submitted_at: now,
        updated_at: now,
      })
      .execute();
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("desktop: the header link opens the console; the side nav moves between pages client-side", async () => {
    const page = await desktopPage(browser);
    collectCspErrors(page, cspErrors);
    await signInThroughPage(page, server.url, sysAdmin);
    await page.locator(".app-header").getByRole("link", { name: "管理主控台" }).click();
    await page.waitForURL(`${server.url}/admin`);
    await page.getByRole("heading", { level: 1, name: "管理主控台" }).waitFor();
    const nav = page.getByRole("navigation", { name: "管理主控台" });
    expect(await nav.count()).toBe(1); // the side column; the phone menu is not shown on the home
    const main = page.locator(".console-home");
    for (const group of [
      "帳號管理",
      "AD 同步管理作業",
      "應用系統服務介接管理",
      "首頁應用程式管理",
      "系統參數管理",
      "物品管理",
    ])
      expect(await main.getByRole("heading", { level: 2, name: group }).count(), group).toBe(1);
    expect(await main.getByRole("link", { name: /個人公務帳號審核/ }).textContent()).toContain("待審核 1");
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("admin-console-home-1280"), fullPage: true });

    await mark(page);
    await nav.getByRole("link", { name: /個人公務帳號審核/ }).click();
    await page.waitForURL(`${server.url}/admin/account-reviews`);
    await page.getByRole("heading", { level: 1, name: "個人公務帳號審核" }).waitFor();
    expect(await marked(page)).toBe(true);
    expect(await nav.getByRole("link", { name: /個人公務帳號審核/ }).getAttribute("aria-current")).toBe("page");
    await nav.getByRole("link", { name: "預約管理作業" }).click();
    await page.getByRole("heading", { level: 1, name: "預約管理作業" }).waitFor();
    await nav.getByRole("link", { name: "報修類型管理" }).click();
    await page.getByRole("heading", { level: 1, name: "報修類型管理" }).waitFor();
    expect(page.url()).toBe(`${server.url}/admin/repair-types`);
    expect(await marked(page)).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("admin-console-repair-types-1280"), fullPage: true });
    expect(cspErrors).toEqual([]);
    await page.close();
  }, 60_000);

  it("phone (360 px): the header stays one line high; the console menu is a disclosure", async () => {
    const context = await browser.newContext({
      viewport: PHONE,
      deviceScaleFactor: 2,
      isMobile: true,
      hasTouch: true,
      locale: "zh-TW",
      timezoneId: "Asia/Taipei",
    });
    const page = await context.newPage();
    collectCspErrors(page, cspErrors);
    for (const who of [sysAdmin, agencyAdmin]) {
      await signInThroughPage(page, server.url, who);
      const box = (await page.locator(".app-header").boundingBox())!;
      expect(box.height).toBeLessThanOrEqual(64);
      const lines = await headerLines(page);
      expect(lines.map((l) => l.text)).toContain("管理主控台");
      for (const l of lines) expect(l.lines, l.text).toBe(1);
      // Nothing sticks out of the 360 px width.
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
      await page.locator(".app-header").screenshot({ path: screenshotPath(`admin-console-header-360-${who.id}`) });
      if (who === sysAdmin) {
        await page.locator(".app-header").getByRole("button", { name: "登出" }).click();
        await page.waitForURL(/\/login/);
      }
    }

    await page.locator(".app-header").getByRole("link", { name: "管理主控台" }).click();
    await page.waitForURL(`${server.url}/admin`);
    await page.getByRole("heading", { level: 1, name: "管理主控台" }).waitFor();
    // An agency admin's console: 帳號管理 and 物品管理 only.
    const groups = await page.locator(".console-home h2").allTextContents();
    expect(groups).toEqual(["帳號管理", "物品管理"]);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("admin-console-home-360"), fullPage: true });

    await mark(page);
    await page.locator(".console-home").getByRole("link", { name: "機關及郵件系統帳號管理" }).click();
    await page.getByRole("heading", { level: 1, name: "機關及郵件系統帳號管理" }).waitFor();
    const menu = page.getByText("管理主控台選單");
    await menu.click();
    const nav = page.getByRole("navigation", { name: "管理主控台" });
    await nav.getByRole("link", { name: /個人公務帳號審核/ }).click();
    await page.getByRole("heading", { level: 1, name: "個人公務帳號審核" }).waitFor();
    expect(await marked(page)).toBe(true);
    // The menu is closed again after the navigation.
    expect(await nav.isVisible()).toBe(false);
    expect(await seriousViolations(page)).toEqual([]);
    await menu.click();
    await page.screenshot({ path: screenshotPath("admin-console-menu-360"), fullPage: true });
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
