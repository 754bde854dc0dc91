import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, chromium, type Page } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { scheduleChange } from "../../bff/scheduled/changes.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  DESKTOP,
  desktopPage,
  phoneContext,
  screenshotPath,
  signInThroughPage,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

// ACC-16 預約管理作業 and ACC-14/15 機關及郵件系統帳號 on a desktop-sized screen.
describe.skipIf(skip)("預約管理作業 and the shared-account console (Chromium, desktop)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let admin: MadeAccount;
  let holder: MadeAccount;
  let second: MadeAccount;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "瀏覽器預約局");
    const unit = await makeUnit(c, agency.id, "資訊科");
    admin = await makeAccount(c, { unitId: unit.id, role: "agency_admin", name: "預約管理者" });
    holder = await makeAccount(c, { unitId: unit.id, name: "保管人甲" });
    await c.db
      .updateTable("accounts")
      .set({ backup_email: "holder@example.org" })
      .where("id", "=", holder.id)
      .execute();
    second = await makeAccount(c, { unitId: unit.id, name: "保管人乙" });
    for (const target of [holder, second]) {
      await c.db.transaction().execute((trx) =>
        scheduleChange(trx, {
          type: "account.disable",
          targetAccountId: target.id,
          agencyId: agency.id,
          executeAt: new Date(Date.now() + 3 * 86_400_000),
          payload: {},
          createdBy: admin.id,
          now: new Date(),
        }),
      );
    }
    const me = (await signInAs(c, holder)).actor;
    await c.services.sharedAccounts.apply(me, {
      type: "mail",
      username: "browser.inbox",
      name: "收文信箱",
      purpose: "機關收發文",
    });
    browser = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    page = await desktopPage(browser);
    collectCspErrors(page, cspErrors);
    await signInThroughPage(page, server.url, admin);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("lists the agency's scheduled changes and cancels a pending one", async () => {
    await page.goto(`${server.url}/admin/scheduled`);
    await page.getByRole("heading", { name: "預約管理作業" }).waitFor();
    const row = page.getByRole("row").filter({ hasText: holder.username });
    expect(await row.getByText("帳號停用").count()).toBe(1);
    expect(await row.getByText("待執行").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("scheduled-desktop"), fullPage: true });
    // 取消預約 asks first (issue 17): the dialog takes focus, Esc changes nothing, 取消預約 does it.
    const dialog = page.getByRole("dialog", { name: "確定要取消預約「帳號停用：保管人甲」嗎？" });
    await row.getByRole("link", { name: /取消預約/ }).click();
    await dialog.waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("取消");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    expect(new URL(page.url()).searchParams.get("confirm")).toBeNull();
    expect(await row.getByText("待執行").count()).toBe(1);
    await row.getByRole("link", { name: /取消預約/ }).click();
    await dialog.getByRole("button", { name: "取消預約" }).click();
    await page.getByRole("status").getByText("已取消預約").waitFor();
    const after = page.getByRole("row").filter({ hasText: holder.username });
    await after.getByRole("cell", { name: "已取消", exact: true }).waitFor();
    expect(await after.getByRole("link", { name: /取消預約/ }).count()).toBe(0);
  });

  it("the same confirmation works without scripts: 取消 leaves it, confirming cancels it", async () => {
    const context = await browser.newContext({ javaScriptEnabled: false, viewport: DESKTOP, locale: "zh-TW" });
    try {
      await context.addCookies(await page.context().cookies());
      const plain = await context.newPage();
      await plain.goto(`${server.url}/admin/scheduled`);
      const row = () => plain.getByRole("row").filter({ hasText: second.username });
      const dialog = plain.getByRole("dialog", { name: "確定要取消預約「帳號停用：保管人乙」嗎？" });
      await row()
        .getByRole("link", { name: /取消預約/ })
        .click();
      await dialog.getByText("這項異動將不會在").waitFor();
      await dialog.getByRole("link", { name: "取消" }).click();
      await plain.waitForURL((u) => !u.searchParams.has("confirm"));
      expect(await dialog.count()).toBe(0);
      expect(await row().getByText("待執行").count()).toBe(1);
      await row()
        .getByRole("link", { name: /取消預約/ })
        .click();
      await dialog.getByRole("button", { name: "取消預約" }).click();
      await plain.getByText("已取消預約").first().waitFor();
      await row().getByRole("cell", { name: "已取消", exact: true }).waitFor();
    } finally {
      await context.close();
    }
  });

  it("approves a shared-account application in batch, then finds it in the admin list and its detail", async () => {
    await page.goto(`${server.url}/admin/shared-account-reviews`);
    await page.getByRole("checkbox", { name: "勾選 browser.inbox" }).check();
    await page.getByText("批次審核", { exact: true }).click(); // opens the dialog (a <details>)
    await page.getByRole("button", { name: "通過" }).click();
    // The flash after the redirect (the root's live region; its box is what is visible).
    await page
      .getByRole("status")
      .getByText(/已通過 1 筆申請/)
      .waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    await page.goto(`${server.url}/admin/shared-accounts`);
    const row = page.getByRole("row").filter({ hasText: "browser.inbox" });
    expect(await row.getByText("郵件系統帳號").count()).toBe(1);
    expect(await row.getByText("保管人甲").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("shared-accounts-desktop"), fullPage: true });
    await row.getByRole("link", { name: "詳細：browser.inbox" }).click();
    await page.getByRole("heading", { name: "收文信箱（browser.inbox）" }).waitFor();
    await page.getByText("保管人異動", { exact: true }).click();
    // The picker offers colleagues by name, unit, title and phone only (never the username).
    expect(await page.getByRole("radio", { name: /預約管理者｜資訊科/ }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("shared-account-detail-desktop"), fullPage: true });
    await page.getByRole("tab", { name: "帳號狀態" }).click();
    await page.getByRole("heading", { name: "帳號狀態異動紀錄" }).waitFor();
    expect(await page.getByRole("cell", { name: "審核狀態" }).count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    expect(cspErrors).toEqual([]);
  });

  it("on a phone, a colleague applies for a system account: a wrong field is named and kept, then it is listed", async () => {
    const phone = await phoneContext();
    try {
      const p = phone.context.pages()[0] ?? (await phone.context.newPage());
      collectCspErrors(p, cspErrors);
      await signInThroughPage(p, server.url, holder);
      await p.goto(`${server.url}/shared-accounts/apply`);
      await p.getByLabel("帳號類型").selectOption("system");
      await p.getByLabel("希望使用的帳號").fill("Bad Name");
      await p.getByLabel("帳號名稱").fill("公文系統介接");
      await p.getByLabel("用途說明").fill("公文系統排程介接使用");
      await p.getByRole("button", { name: "送出申請" }).click();
      // One wrong field: its message is the summary and sits beside the field.
      await p.getByText("帳號須為 3 到 20 個小寫英文字母").first().waitFor();
      expect(await p.getByLabel("帳號名稱").inputValue()).toBe("公文系統介接");
      expect(await seriousViolations(p)).toEqual([]);
      await p.getByLabel("希望使用的帳號").fill("doc.sync");
      await p.getByRole("button", { name: "送出申請" }).click();
      await p.getByText("申請已送出，待機關管理者審核。").waitFor();
      await p.getByRole("heading", { name: "公文系統介接（doc.sync）" }).waitFor();
      expect(await seriousViolations(p)).toEqual([]);
      await p.screenshot({ path: screenshotPath("shared-accounts-mine-phone"), fullPage: true });
      const width = await p.evaluate(() => document.documentElement.scrollWidth);
      expect(width).toBeLessThanOrEqual(360);
      expect(cspErrors).toEqual([]);
    } finally {
      await phone.close();
    }
  });
});
