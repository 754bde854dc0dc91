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
  screenshotPath,
  signInThroughPage,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

// ACC-10/11/12: the account console is a desktop console (1280x800).
describe.skipIf(skip)("個人公務帳號管理 in Chromium (1280x800)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Browser;
  let page: Page;
  let admin: MadeAccount;
  let clerks: MadeAccount[];
  let chief: MadeAccount;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "帳號瀏覽器測試局");
    const unit = (await makeUnit(c, agency.id, "綜合企劃科")).id;
    admin = await makeAccount(c, { unitId: unit, role: "agency_admin", name: "瀏覽器管理者" });
    clerks = [];
    for (const n of ["甲", "乙", "丙"]) clerks.push(await makeAccount(c, { unitId: unit, name: `科員${n}` }));
    chief = await makeAccount(c, { unitId: unit, role: "agency_admin", name: "科長丁" });
    await c.db
      .updateTable("accounts")
      .set({ title: "科員" })
      .where(
        "id",
        "in",
        clerks.map((k) => k.id),
      )
      .execute();
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

  it("filters the list, refuses a mixed batch with its rule, then disables a valid selection", async () => {
    // The header's one 管理主控台 link, then the console's navigation (ADR 20).
    await page.locator(".app-header").getByRole("link", { name: "管理主控台" }).click();
    await page.waitForURL(`${server.url}/admin`);
    await page.getByRole("navigation", { name: "管理主控台" }).getByRole("link", { name: "個人公務帳號管理" }).click();
    await page.waitForURL(`${server.url}/admin/accounts`);
    await page.getByRole("heading", { level: 1, name: "個人公務帳號管理" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByLabel("關鍵字").fill("綜合企劃");
    await page.getByRole("button", { name: "查詢" }).click();
    await page.waitForURL(/q=/);
    expect(await page.getByText("總計 5 筆，每頁顯示 10 筆").count()).toBe(1);
    await page.getByText("進階查詢").click();
    await page.getByRole("group", { name: "權限" }).getByLabel("一般使用者").check();
    await page.getByRole("button", { name: "查詢" }).click();
    await page.waitForURL(/role=user/);
    expect(await page.getByText("總計 3 筆，每頁顯示 10 筆").count()).toBe(1);

    // Back to all five, then a mixed selection: a clerk and the chief (another role).
    await page.goto(`${server.url}/admin/accounts?q=${encodeURIComponent("綜合企劃")}`);
    await page.getByLabel(`勾選 科員甲（${clerks[0]!.username}）`).check();
    await page.getByLabel(`勾選 科長丁（${chief.username}）`).check();
    await page.getByText("批次停用", { exact: true }).click();
    await page.getByLabel("註銷原因").selectOption("離職");
    await page.getByRole("button", { name: "儲存" }).click();
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("無法批次停用：勾選的帳號須權限相同。");
    // The selection is kept so the admin can fix it.
    expect(await page.getByLabel(`勾選 科員甲（${clerks[0]!.username}）`).isChecked()).toBe(true);
    await page.screenshot({ path: screenshotPath("accounts-batch-refused-1280"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByLabel(`勾選 科長丁（${chief.username}）`).uncheck();
    await page.getByLabel(`勾選 科員乙（${clerks[1]!.username}）`).check();
    await page.getByLabel("註銷原因").selectOption("退休");
    await page.getByRole("button", { name: "儲存" }).click();
    // Done: back to the filtered list, the root's flash message says what happened.
    await expect
      .poll(() => page.locator(".flash-region").textContent(), { timeout: 10_000 })
      .toContain("已停用 2 個帳號");
    expect(page.url()).toBe(`${server.url}/admin/accounts?q=${encodeURIComponent("綜合企劃")}`);
    const statuses = await c.db
      .selectFrom("accounts")
      .select("status")
      .where("id", "in", [clerks[0]!.id, clerks[1]!.id])
      .execute();
    expect(statuses.map((s) => s.status)).toEqual(["disabled", "disabled"]);
    await page.screenshot({ path: screenshotPath("accounts-list-1280"), fullPage: true });
  });

  it("shows the three detail tabs, each accessible; an edit appears in the change log", async () => {
    const target = clerks[2]!;
    await page.goto(`${server.url}/admin/accounts`);
    await page.getByRole("link", { name: "詳細：科員丙" }).click();
    await page.waitForURL(`${server.url}/admin/accounts/${target.id}`);
    await page.getByLabel("公務電話").fill("06-2991111");
    await page.getByRole("button", { name: "儲存" }).click();
    await expect.poll(() => page.locator(".flash-region").textContent(), { timeout: 10_000 }).toContain("編輯成功");
    await page.screenshot({ path: screenshotPath("accounts-detail-data-1280"), fullPage: true });
    const log = page.getByRole("table", { name: "個人資料異動紀錄" });
    expect(await log.getByText("公務電話", { exact: true }).count()).toBe(1);
    expect(await log.getByText("（空白） → 06-2991111").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    for (const [tab, name] of [
      ["隸屬機關(單位)", "unit"],
      ["帳號狀態", "status"],
    ] as const) {
      await page.getByRole("link", { name: tab, exact: true }).click();
      await page.waitForURL(new RegExp(`tab=${name}`));
      await page.screenshot({ path: screenshotPath(`accounts-detail-${name}-1280`), fullPage: true });
      expect(await seriousViolations(page), tab).toEqual([]);
    }
    expect(cspErrors).toEqual([]);
  });
});
