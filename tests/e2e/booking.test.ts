import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { taipeiDayClock } from "../helpers/clock.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeItem, makeSite, makeUnit, type MadeAccount } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  phoneContext,
  screenshotPath,
  submitSignIn,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

type Browser = { context: BrowserContext; close(): Promise<void> };

describe.skipIf(skip)("booking and reviewing on a phone in Chromium (360x740)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let applicantBrowser: Browser;
  let custodianBrowser: Browser;
  let page: Page;
  let reviewer: Page;
  let applicant: MadeAccount;
  let custodian: MadeAccount;
  let venueId: number;
  const venueName = "第一會議室";
  // The server's day starts at 10:00 whatever the hour of the run: today's free slots are listed.
  const clock = taipeiDayClock("10:00");
  const tomorrow = clock.day(1);
  const cspErrors: string[] = [];

  async function signIn(p: Page, who: MadeAccount, path: string) {
    await p.goto(`${server.url}${path}`);
    await p.waitForURL(/\/login/);
    await submitSignIn(p, who);
    await p.waitForURL(`${server.url}${path}`);
  }

  beforeAll(async () => {
    c = await testContainer({ clock });
    server = await startTestServer(c);
    const agency = await makeAgency(c, "預約測試機關");
    const unit = await makeUnit(c, agency.id, "秘書科");
    custodian = await makeAccount(c, { unitId: unit.id, name: "林保管" });
    applicant = await makeAccount(c, { unitId: unit.id, name: "王申請" });
    const site = await makeSite(c, "永華市政中心");
    const venue = await makeItem(c, {
      agencyId: agency.id,
      siteId: site.id,
      name: venueName,
      custodians: [custodian.id],
      capacity: 30,
      openFrom: "08:00",
      openTo: "18:00",
    });
    venueId = venue.id;
    await makeItem(c, { agencyId: agency.id, siteId: site.id, name: "第二會議室", capacity: 12 });
    const car = await makeItem(c, { kind: "car", agencyId: agency.id, siteId: site.id, name: "Altis 公務車" });
    const driver = await makeItem(c, { kind: "driver", agencyId: agency.id, siteId: site.id, name: "張司機" });
    await c.db.insertInto("car_drivers").values({ car_id: car.id, driver_id: driver.id }).execute();
    applicantBrowser = await phoneContext();
    custodianBrowser = await phoneContext();
    page = applicantBrowser.context.pages()[0] ?? (await applicantBrowser.context.newPage());
    reviewer = custodianBrowser.context.pages()[0] ?? (await custodianBrowser.context.newPage());
    for (const p of [page, reviewer]) collectCspErrors(p, cspErrors);
  });
  afterAll(async () => {
    await applicantBrowser?.close();
    await custodianBrowser?.close();
    await server?.close();
    await c?.close();
  });

  it("the applicant signs in, opens 預約 and sees the venues as cards", async () => {
    await signIn(page, applicant, "/");
    await page.getByRole("navigation", { name: "主要功能" }).getByRole("link", { name: "預約" }).click();
    await page.waitForURL(`${server.url}/book`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("預約");
    expect(await page.getByRole("link", { name: "場地", exact: true }).getAttribute("aria-current")).toBe("page");
    const card = page.locator(".item-card", { hasText: venueName });
    expect(await card.textContent()).toContain("永華市政中心 3F");
    expect(await card.textContent()).toContain("容納 30 人");
    expect(await card.textContent()).toContain("開放 08:00–18:00");
    await page.screenshot({ path: screenshotPath("book-list-360"), fullPage: true });
  });

  it("/book has no serious or critical axe violations", async () => {
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("picks the venue and requests tomorrow 10:00–11:00; it shows 未審核 in 我的申請", async () => {
    await page.getByRole("link", { name: venueName }).click();
    await page.waitForURL(new RegExp(`/book/${venueId}`));
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe(venueName);
    await page.screenshot({ path: screenshotPath("book-item-day-360"), fullPage: true });
    // axe checks the free-slot links too (label-content-name-mismatch): today 10:00–18:00 is free.
    const pick = page.getByRole("link", { name: /^選這個時段/ });
    expect(await pick.count()).toBeGreaterThan(0);
    expect(await pick.first().getAttribute("href")).toContain(`date=${clock.today}&start=1`);
    // WCAG 2.5.3: the accessible name is the visible text, then the slot.
    expect(await pick.first().textContent()).toMatch(
      new RegExp(`^選這個時段：${clock.today.replace(/-/g, "/")} 1\\d:\\d\\d 起$`),
    );
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel("借用日期").fill(tomorrow);
    await page.getByLabel("開始時間").fill("10:00");
    await page.getByLabel("結束時間").fill("11:00");
    await page.getByLabel("借用事由").fill("科務會議");
    await page.getByLabel("使用人數").fill("12");
    await page.getByRole("button", { name: "送出申請" }).click();
    await page.waitForURL(`${server.url}/book/mine?created=1`);
    // The page's own status, not the root's (empty) flash-message live region.
    await expect.poll(() => page.getByRole("status").filter({ hasText: "申請已送出" }).count()).toBeGreaterThan(0);
    const card = page.locator(".booking-card", { hasText: venueName });
    expect(await card.locator(".status").textContent()).toBe("未審核");
    expect(await card.textContent()).toContain(`${tomorrow.replace(/-/g, "/")} 10:00–11:00`);
    await page.screenshot({ path: screenshotPath("book-mine-pending-360"), fullPage: true });
  });

  it("an overlapping request shows the clash and keeps what was typed", async () => {
    await page.goto(`${server.url}/book/${venueId}?date=${tomorrow}`);
    await expect.poll(() => page.locator(".seg-taken").first().textContent()).toContain("10:00–11:00已預約");
    await page.getByLabel("借用日期").fill(tomorrow);
    await page.getByLabel("開始時間").fill("10:30");
    await page.getByLabel("結束時間").fill("11:30");
    await page.getByLabel("借用事由").fill("專案討論會");
    await page.getByLabel("使用人數").fill("5");
    await page.getByRole("button", { name: "送出申請" }).click();
    const [, mm, dd] = tomorrow.split("-");
    await expect
      .poll(() => page.getByRole("alert").textContent())
      .toBe(`${mm}/${dd} 10:00–11:00 已有預約，請選擇其他時段。`);
    expect(page.url()).toContain(`/book/${venueId}`);
    expect(await page.getByLabel("借用事由").inputValue()).toBe("專案討論會");
    expect(await page.getByLabel("開始時間").inputValue()).toBe("10:30");
    expect(await page.getByLabel("使用人數").inputValue()).toBe("5");
    await page.getByRole("alert").scrollIntoViewIfNeeded();
    await page.screenshot({ path: screenshotPath("book-clash-360") });
  });

  it("the week view shows the taken slot on tomorrow's row", async () => {
    await page.goto(`${server.url}/book/${venueId}?view=week&date=${tomorrow}`);
    const row = page.locator(".week-day", { hasText: tomorrow.slice(5).replace("-", "/") });
    await expect.poll(() => row.locator(".taken-text").textContent()).toBe("已預約 10:00–11:00");
    await page.screenshot({ path: screenshotPath("book-item-week-360"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("the car tab lists the car; its form asks for pick-up, return, passengers, destination and driver", async () => {
    await page.goto(`${server.url}/book`);
    await page.getByRole("link", { name: "公務車", exact: true }).click();
    await page.waitForURL(/kind=car/);
    await page.getByRole("link", { name: /Altis 公務車/ }).click();
    await page.waitForURL(/\/book\/\d+/);
    await expect.poll(() => page.getByRole("heading", { level: 2, name: "公務車借用登記" }).count()).toBe(1);
    for (const field of ["取車日期", "取車時間", "還車日期", "還車時間", "乘客人數", "目的地", "借用事由"])
      expect(await page.getByLabel(field).count(), field).toBe(1);
    expect(await page.getByLabel("派遣司機").locator("option").allTextContents()).toEqual([
      "不需司機",
      "張司機（職業小客車）",
    ]);
    await page.screenshot({ path: screenshotPath("book-car-360"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("the custodian signs in, sees the badge, opens 審核 and approves", async () => {
    await signIn(reviewer, custodian, "/");
    const nav = reviewer.getByRole("navigation", { name: "主要功能" });
    await expect.poll(() => nav.getByLabel("1 件待審核").textContent()).toBe("1");
    await nav.getByRole("link", { name: /審核/ }).click();
    await reviewer.waitForURL(`${server.url}/reviews`);
    await expect.poll(() => reviewer.getByText("總計 1 筆，每頁顯示 10 筆").count()).toBe(1);
    const card = reviewer.locator(".booking-card", { hasText: venueName });
    expect(await card.textContent()).toContain("王申請／秘書科");
    await card.getByText("申請資訊 › 查看").click();
    await expect.poll(() => card.getByText("科務會議").isVisible()).toBe(true);
    await reviewer.screenshot({ path: screenshotPath("reviews-pending-360"), fullPage: true });
    expect(await seriousViolations(reviewer)).toEqual([]);

    await card.getByLabel("審核說明").fill("同意借用");
    await card.getByRole("button", { name: "核准" }).click();
    await expect
      .poll(() =>
        reviewer
          .getByRole("status")
          .filter({ hasText: `已核准：${venueName}` })
          .count(),
      )
      .toBeGreaterThan(0);
    await expect.poll(() => reviewer.getByText("目前沒有資料").count()).toBe(1);
    await reviewer.screenshot({ path: screenshotPath("reviews-approved-360"), fullPage: true });
  });

  it("the applicant reloads 我的申請 and sees 已核准 with the comment", async () => {
    await page.goto(`${server.url}/book/mine`);
    const card = page.locator(".booking-card", { hasText: venueName });
    await expect.poll(() => card.locator(".status").textContent()).toBe("已核准");
    expect(await card.textContent()).toContain("同意借用");
    await page.screenshot({ path: screenshotPath("book-mine-approved-360"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("the Content Security Policy blocked nothing", () => {
    expect(cspErrors).toEqual([]);
  });
});
