import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  desktopPage,
  phoneContext,
  screenshotPath,
  signInThroughPage,
  submitSignIn,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

/** The newest dev-mailbox text to an address (the worker runs inline in tests only when drained). */
async function mailTo(c: Container, to: string): Promise<string> {
  await c.worker.drain();
  const row = await c.db
    .selectFrom("dev_mailbox")
    .select("body")
    .where("to_address", "=", to)
    .orderBy("id", "desc")
    .limit(1)
    .executeTakeFirst();
  return row?.body ?? "";
}

// ACC-1/3/13: an applicant on a phone, the agency admin on a desktop, then activation and sign-in.
describe.skipIf(skip)("apply on a phone, approve on a desktop, activate and sign in (Chromium)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let phone: { context: BrowserContext; close(): Promise<void> };
  let desktop: Browser;
  let page: Page;
  let adminPage: Page;
  let admin: MadeAccount;
  const cspErrors: string[] = [];
  const email = "chen.applicant@example.com";
  const username = "chen.apply";
  const password = "Tainan#Portal-2026";

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "瀏覽器申請局");
    const unit = await makeUnit(c, agency.id, "資訊科");
    admin = await makeAccount(c, { unitId: unit.id, role: "agency_admin", name: "審核管理者" });
    phone = await phoneContext();
    page = phone.context.pages()[0] ?? (await phone.context.newPage());
    desktop = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    adminPage = await desktopPage(desktop);
    for (const p of [page, adminPage]) collectCspErrors(p, cspErrors);
  });
  afterAll(async () => {
    await phone?.close();
    await desktop?.close();
    await server?.close();
    await c?.close();
  });

  it("the applicant proves a backup e-mail and applies on a 360 px screen", async () => {
    await page.goto(`${server.url}/login`);
    await page.getByRole("link", { name: "個人帳號申請", exact: true }).click();
    await page.waitForURL(`${server.url}/apply`);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("備用信箱").fill(email);
    await page.getByRole("button", { name: "寄送驗證碼" }).click();
    await page.getByLabel("驗證碼").waitFor();
    const code = /驗證碼為 (\d{6})/.exec(await mailTo(c, email))?.[1];
    expect(code).toMatch(/^\d{6}$/);
    // A wrong code first: the page says so and stays on the step.
    await page.getByLabel("驗證碼").fill(code === "000000" ? "111111" : "000000");
    await page.getByRole("button", { name: "驗證", exact: true }).click();
    await page.getByText("驗證碼錯誤或已過期").waitFor();
    await page.getByLabel("驗證碼").fill(code!);
    await page.getByRole("button", { name: "驗證", exact: true }).click();
    await page.getByLabel("姓名").waitFor();
    // Submitting half a form keeps what was typed and names the missing fields.
    await page.getByLabel("帳號").fill(username);
    await page.getByRole("button", { name: "送出申請" }).click();
    await page.getByText("請輸入姓名").waitFor();
    expect(await page.getByLabel("帳號").inputValue()).toBe(username);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("姓名").fill("陳瀏覽");
    await page.getByLabel("職稱").fill("科員");
    await page.getByLabel("隸屬機關").selectOption({ label: "瀏覽器申請局" });
    await page.getByLabel("隸屬單位").selectOption({ label: "資訊科" });
    await page.getByLabel("公務電話").fill("06-2991111");
    await page.getByLabel("分機").fill("8123");
    await page.getByLabel("辦公地址").fill("臺南市安平區永華路二段6號");
    await page.getByLabel("不需要").check();
    await page.screenshot({ path: screenshotPath("account-apply-form-360"), fullPage: true });
    await page.getByRole("button", { name: "送出申請" }).click();
    await page.getByText("申請已送出").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("account-apply-done-360"), fullPage: true });
  });

  it("the agency admin finds it in 個人公務帳號審核 on a desktop and approves it", async () => {
    await signInThroughPage(adminPage, server.url, admin);
    await adminPage.goto(`${server.url}/admin/account-reviews`);
    const row = adminPage.getByRole("row", { name: new RegExp(username) });
    await row.waitFor();
    expect(await row.getByText("未審核").count()).toBe(1);
    expect(await seriousViolations(adminPage)).toEqual([]);
    await adminPage.screenshot({ path: screenshotPath("account-reviews-1280"), fullPage: true });
    await row.getByRole("link", { name: "審核" }).click();
    const dialog = adminPage.getByRole("dialog", { name: "審核申請" });
    await dialog.waitFor();
    expect(await dialog.getByText("陳瀏覽").count()).toBeGreaterThan(0);
    // 取消 closes the dialog without deciding.
    await dialog.getByRole("link", { name: "取消" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await row.getByText("未審核").count()).toBe(1);
    await row.getByRole("link", { name: "審核" }).click();
    await dialog.waitFor();
    expect(await seriousViolations(adminPage)).toEqual([]);
    await adminPage.screenshot({ path: screenshotPath("account-review-dialog-1280") });
    await dialog.getByRole("button", { name: "通過" }).click();
    await adminPage.getByText("已通過 1 筆申請").waitFor();
    await adminPage.screenshot({ path: screenshotPath("account-reviews-approved-1280"), fullPage: true });
    await expect.poll(() => adminPage.getByRole("row", { name: new RegExp(username) }).textContent()).toContain("通過");
  });

  it("the applicant activates from the approval mail, with the password policy, then signs in", async () => {
    const mail = await mailTo(c, email);
    const link = /(\/activate\?token=[A-Za-z0-9_-]+)/.exec(mail)?.[1];
    expect(link).toBeTruthy();
    await page.goto(`${server.url}${link}`);
    await page.getByText(username).first().waitFor();
    await page.getByLabel("新密碼", { exact: true }).fill("short");
    await page.getByLabel("確認新密碼").fill("short");
    await page.getByRole("button", { name: "開通帳號" }).click();
    await page.getByText("密碼長度至少 12 個字元").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("新密碼", { exact: true }).fill(password);
    await page.getByLabel("確認新密碼").fill(password);
    await page.getByRole("button", { name: "開通帳號" }).click();
    await page.getByText("已開通").waitFor();
    await page.screenshot({ path: screenshotPath("account-activated-360"), fullPage: true });
    await page.getByRole("link", { name: "前往登入" }).click();
    await submitSignIn(page, { username, password });
    await page.waitForURL(`${server.url}/`);
    await page.screenshot({ path: screenshotPath("account-first-sign-in-360"), fullPage: true });
    await expect.poll(() => page.getByText("陳瀏覽").count()).toBeGreaterThan(0);
    expect(cspErrors).toEqual([]);
  });
});
