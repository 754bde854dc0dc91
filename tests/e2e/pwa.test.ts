import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { chromiumArgs, chromiumPath } from "../helpers/chromium.js";
import { SIGNIN_REFUSED } from "../../bff/auth/lockout.js";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  PHONE,
  phoneContext,
  screenshotPath,
  signInThroughPage,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

describe.skipIf(skip)("the portal on a phone in Chromium (360x740)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: { context: BrowserContext; close(): Promise<void> };
  let page: Page;
  let user: MadeAccount;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "瀏覽器測試機關");
    user = await makeAccount(c, { unitId: (await makeUnit(c, agency.id, "測試科")).id, name: "陳測試" });
    browser = await phoneContext();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    collectCspErrors(page, cspErrors);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("the sign-in page has no serious or critical axe violations", async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/login/);
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
  });

  it("shows a zh-TW error and keeps the username after a wrong password", async () => {
    await page.getByLabel("帳號").fill(user.username);
    await page.getByLabel("密碼").fill("Wrong#Password1");
    await page.getByRole("button", { name: "登入" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toBe(SIGNIN_REFUSED);
    expect(await page.getByLabel("帳號").inputValue()).toBe(user.username);
    await page.screenshot({ path: screenshotPath("login-error-360") });
  });

  it("signs in and sees home", async () => {
    await page.getByLabel("密碼").fill(user.password);
    await page.getByRole("button", { name: "登入" }).click();
    await page.waitForURL(`${server.url}/`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("陳測試");
    expect(await page.getByText("提醒您：密碼將於 90 天後到期").count()).toBe(1);
    expect(await page.getByRole("navigation", { name: "主要功能" }).getByRole("link").allTextContents()).toEqual([
      "首頁",
      "預約",
      "報修",
      "審核",
      "我的",
    ]);
    await page.screenshot({ path: screenshotPath("home-360"), fullPage: true });
  });

  it("home has no serious or critical axe violations", async () => {
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
  });

  it("the service worker controls the page", async () => {
    await page
      .waitForFunction(() => navigator.serviceWorker?.controller !== null, undefined, { timeout: 15_000 })
      .catch(async () => {
        await page.reload();
      });
    const controlled = await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      return navigator.serviceWorker.controller?.scriptURL ?? null;
    });
    expect(controlled).toBe(`${server.url}/sw.js`);
  });

  it("is installable: no installability errors", async () => {
    const cdp = await browser.context.newCDPSession(page);
    const { installabilityErrors } = (await cdp.send("Page.getInstallabilityErrors")) as {
      installabilityErrors: { errorId: string }[];
    };
    expect(installabilityErrors).toEqual([]);
    await cdp.detach();
  });

  it("an offline reload shows the offline page", async () => {
    await browser.context.setOffline(true);
    try {
      await page.reload();
      await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("目前無法連線");
      await page.screenshot({ path: screenshotPath("offline-360") });
    } finally {
      await browser.context.setOffline(false);
    }
  });

  it("signing in works before (or without) the JavaScript: a plain form post passes the Origin check", async () => {
    const plain = await chromium.launch({ executablePath: chromiumPath()!, args: chromiumArgs });
    try {
      const p = await plain.newPage({ javaScriptEnabled: false, viewport: PHONE });
      await signInThroughPage(p, server.url, user);
      expect(await p.getByRole("heading", { level: 1 }).textContent()).toContain("陳測試");
    } finally {
      await plain.close();
    }
  });

  it("the Content Security Policy blocked nothing", () => {
    expect(cspErrors).toEqual([]);
  });
});
