import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

// PRT-5 系統參數管理: a desktop console for system admins, usable at 360 px.
describe.skipIf(skip)("系統參數管理 in Chromium", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let sys: MadeAccount;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "參數瀏覽器測試局");
    const unit = await makeUnit(c, agency.id, "資訊科");
    sys = await makeAccount(c, { unitId: unit.id, role: "sys_admin", name: "參數管理者" });
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    page = await desktopPage(browser);
    collectCspErrors(page, cspErrors);
    await signInThroughPage(page, server.url, sys);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("changes a value: the flash after the redirect, the new value listed, the change recorded", async () => {
    await page.goto(`${server.url}/admin/params`);
    await expect.poll(() => page.getByRole("heading", { level: 1, name: "系統參數管理" }).count()).toBe(1);
    // The page hydrates (ARCHITECTURE rule 9): its route module runs in the browser.
    await expect
      .poll(() =>
        page.evaluate(
          () =>
            "routes/_app.admin.params" in
            ((window as unknown as { __remixRouteModules?: Record<string, unknown> }).__remixRouteModules ?? {}),
        ),
      )
      .toBe(true);
    expect(await seriousViolations(page)).toEqual([]);

    const row = page.getByRole("row", { name: /鎖定時間/ }).first();
    expect(await row.getByRole("cell").first().textContent()).toBe("15 分鐘");
    const input = page.getByLabel("新的鎖定時間");
    await input.fill("30");
    await page.getByRole("form", { name: "修改鎖定時間" }).getByRole("button", { name: "儲存" }).click();

    await expect.poll(() => page.getByRole("status").textContent()).toContain("已更新「鎖定時間」");
    expect(page.url()).toBe(`${server.url}/admin/params`);
    expect(await row.getByRole("cell").first().textContent()).toBe("30 分鐘");
    expect(await page.getByLabel("新的鎖定時間").inputValue()).toBe("30");
    const changes = page.getByRole("region", { name: "系統參數異動紀錄" });
    expect(await changes.getByText("15 分鐘 → 30 分鐘").count()).toBe(1);
    expect(await changes.getByText(`參數管理者（${sys.username}）`).count()).toBe(1);
    expect(await c.services.params.get("lockout_cooldown_minutes")).toBe(30);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("params-desktop"), fullPage: true });
  });

  it("an invalid value: the field's message, what was typed kept, nothing changed", async () => {
    const input = page.getByLabel("新的登入失敗鎖定次數");
    await input.fill("100");
    await page.getByRole("form", { name: "修改登入失敗鎖定次數" }).getByRole("button", { name: "儲存" }).click();
    await expect
      .poll(() => page.locator("#param-lockout_threshold-error").textContent())
      .toBe("登入失敗鎖定次數須介於 2 到 20 次");
    expect(await page.getByRole("alert").first().textContent()).toContain("登入失敗鎖定次數須介於 2 到 20 次");
    expect(await input.inputValue()).toBe("100");
    expect(await input.getAttribute("aria-invalid")).toBe("true");
    expect(await c.services.params.get("lockout_threshold")).toBe(5);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("is usable at 360 px: no sideways scrolling, the form within reach", async () => {
    const phone = await browser.newPage({ viewport: PHONE, locale: "zh-TW", timezoneId: "Asia/Taipei" });
    collectCspErrors(phone, cspErrors);
    await signInThroughPage(phone, server.url, sys);
    await phone.goto(`${server.url}/admin/params`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // Nor inside the tables: each row is a card that fits the screen.
    const wide = await phone.evaluate(() =>
      [...document.querySelectorAll(".table-wrap")].map((w) => w.scrollWidth - w.clientWidth),
    );
    expect(
      wide.every((d) => d <= 0),
      JSON.stringify(wide),
    ).toBe(true);
    await phone.getByLabel("新的檔案清理日期").fill("2027-06-30");
    await phone.getByRole("form", { name: "修改檔案清理日期" }).getByRole("button", { name: "儲存" }).click();
    await expect.poll(() => phone.getByRole("status").textContent()).toContain("已更新「檔案清理日期」");
    expect(await seriousViolations(phone)).toEqual([]);
    await phone.screenshot({ path: screenshotPath("params-phone"), fullPage: true });
    await phone.close();
    expect(cspErrors).toEqual([]);
  });
});
