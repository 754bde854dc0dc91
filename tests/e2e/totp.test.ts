import { generateSync } from "otplib";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import {
  axeViolations,
  browserSkip,
  collectCspErrors,
  phoneContext,
  screenshotPath,
  submitSignIn,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

/** IDN-2 end to end on a phone-sized Chromium: enrol on 我的 › 登入安全設定, sign out, sign in with the code. */
describe.skipIf(skip)("TOTP in Chromium (IDN-2)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  let user: MadeAccount;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const unit = await makeUnit(c, (await makeAgency(c, "研考會")).id);
    user = await makeAccount(c, { unitId: unit.id, name: "陳小明" });
    browser = await phoneContext();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    collectCspErrors(page, cspErrors);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  const code = (secret: string, aheadSeconds = 0) =>
    generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + aheadSeconds });

  it("enrols by QR code and secret, then signs in with password and code", async () => {
    await page.goto(`${server.url}/login?redirectTo=%2Fme%2Fsecurity`);
    await submitSignIn(page, user);
    await page.waitForURL(/\/me\/security$/);

    await page.getByRole("button", { name: "設定兩步驟驗證" }).click();
    const qr = page.getByRole("img", { name: "兩步驟驗證設定用 QR Code" });
    await qr.waitFor();
    expect(await qr.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const secret = (await page.locator(".secret-code").innerText()).replace(/\s/g, "");
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await page.screenshot({ path: screenshotPath("totp-enrol-phone"), fullPage: true });
    const enrolViolations = (await axeViolations(page)).filter(
      (v) => v.impact === "serious" || v.impact === "critical",
    );
    expect(enrolViolations).toEqual([]);

    await page.getByLabel("驗證碼").fill(code(secret));
    await page.getByRole("button", { name: "確認並啟用" }).click();
    await page.getByText("兩步驟驗證已啟用").waitFor();

    // Sign out (from 我的), then sign in again: password, then the code.
    await page.goto(`${server.url}/me`);
    await page.getByRole("button", { name: "登出" }).first().click();
    await page.waitForURL((u) => u.pathname === "/login");
    // Exact labels: until the sign-in page has rendered, 我的's 「帳號資料」 sections also match 「帳號」.
    await page.getByLabel("帳號", { exact: true }).fill(user.username);
    await page.getByLabel("密碼", { exact: true }).fill(user.password);
    await page.getByRole("button", { name: "登入", exact: true }).click();
    await page.waitForURL(/\/login\/totp/);
    expect(await c.db.selectFrom("sessions").select("id").where("account_id", "=", user.id).execute()).toHaveLength(0);

    // A wrong code first: a message, still on the step.
    await page.getByLabel("驗證碼").fill("000000");
    await page.getByRole("button", { name: "驗證並登入" }).click();
    await page.getByRole("alert").filter({ hasText: "驗證碼錯誤" }).waitFor();
    const stepViolations = await seriousViolations(page);
    expect(stepViolations).toEqual([]);
    await page.screenshot({ path: screenshotPath("totp-step-phone"), fullPage: true });

    // The enrolment used this step's code, which is spent: the phone of someone whose clock runs
    // 30 s ahead shows the next step's code, inside the ±1 step the server accepts.
    await page.getByLabel("驗證碼").fill(code(secret, 30));
    await page.getByRole("button", { name: "驗證並登入" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    expect(await c.db.selectFrom("sessions").select("id").where("account_id", "=", user.id).execute()).toHaveLength(1);
    expect(cspErrors).toEqual([]);
  }, 60_000);

  it("verifies a mobile number with the SMS code (NTF-3)", async () => {
    await page.goto(`${server.url}/me/security`);
    await page.getByLabel("手機號碼", { exact: true }).fill("0912 345 678");
    await page.getByRole("button", { name: "傳送驗證碼" }).click();
    await page.getByText("驗證碼已傳送至 0912345678").first().waitFor();
    await c.worker.drain();
    const sms = await c.db
      .selectFrom("dev_mailbox")
      .select("body")
      .where("channel", "=", "sms")
      .where("to_address", "=", "0912345678")
      .executeTakeFirstOrThrow();
    const smsCode = sms.body.match(/驗證碼：(\d{6})/)![1]!;
    await page.getByLabel("簡訊驗證碼").fill(smsCode);
    await page.getByRole("button", { name: "確認驗證碼" }).click();
    await page.getByText("手機號碼 0912345678 驗證完成").waitFor();
    await page.getByText("已驗證：").waitFor();
    expect(await page.getByLabel("更換手機號碼").inputValue()).toBe("");
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
    await page.screenshot({ path: screenshotPath("phone-verified-phone"), fullPage: true });
    expect(cspErrors).toEqual([]);
  });

  it("the temporary password page is accessible at phone size", async () => {
    const ctx = await phoneContext();
    const p = await ctx.context.newPage();
    await p.goto(`${server.url}/login/temporary`);
    await p.getByRole("heading", { name: "取得臨時密碼" }).waitFor();
    const violations = await seriousViolations(p);
    await p.screenshot({ path: screenshotPath("temporary-password-phone"), fullPage: true });
    await ctx.close();
    expect(violations).toEqual([]);
  });
});
