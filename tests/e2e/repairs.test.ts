import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BrowserContext, Page } from "playwright-core";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeRepairType, makeSite, makeUnit, type MadeAccount } from "../helpers/factory.js";
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

describe.skipIf(skip)("repair reporting and handling on a phone in Chromium (360x740)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let reporterBrowser: Browser;
  let vendorBrowser: Browser;
  let page: Page;
  let vendorPage: Page;
  let reporter: MadeAccount;
  let vendor: MadeAccount;
  let cameraBytes = 0;
  const typeName = "公文管理系統";
  const cspErrors: string[] = [];

  async function signIn(p: Page, who: MadeAccount, path: string) {
    await p.goto(`${server.url}${path}`);
    await p.waitForURL(/\/login/);
    await submitSignIn(p, who);
    await p.waitForURL(`${server.url}${path}`);
  }

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "報修測試機關");
    const unit = await makeUnit(c, agency.id, "資訊科");
    const keeper = await makeAccount(c, { unitId: unit.id, name: "林保管" });
    reporter = await makeAccount(c, { unitId: unit.id, name: "王報修" });
    await c.db.updateTable("accounts").set({ office_phone: "06-2991234" }).where("id", "=", reporter.id).execute();
    const vendorCo = await makeAgency(c, "維修廠商");
    vendor = await makeAccount(c, { unitId: (await makeUnit(c, vendorCo.id, "駐點")).id, name: "陳維修" });
    await makeSite(c, "永華市政中心");
    await makeRepairType(c, {
      agencyId: agency.id,
      name: typeName,
      scope: "own",
      vendors: [vendor.id],
      custodians: [keeper.id],
      categories: ["公文管理系統維修-一般操作問題", "公文管理系統維修-系統異常"],
    });
    reporterBrowser = await phoneContext();
    vendorBrowser = await phoneContext();
    page = reporterBrowser.context.pages()[0] ?? (await reporterBrowser.context.newPage());
    vendorPage = vendorBrowser.context.pages()[0] ?? (await vendorBrowser.context.newPage());
    for (const p of [page, vendorPage]) collectCspErrors(p, cspErrors);
  });
  afterAll(async () => {
    await reporterBrowser?.close();
    await vendorBrowser?.close();
    await server?.close();
    await c?.close();
  });

  it("the reporter opens 報修 and the form, with unit and phone filled in", async () => {
    await signIn(page, reporter, "/");
    await page.getByRole("navigation", { name: "主要功能" }).getByRole("link", { name: "報修" }).click();
    await page.waitForURL(`${server.url}/repairs`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toBe("報修");
    expect(await page.getByText("目前沒有資料").count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.getByRole("link", { name: "我要報修" }).click();
    await page.waitForURL(`${server.url}/repairs/new`);
    expect(await page.getByLabel("公務電話").inputValue()).toBe("06-2991234");
    expect(await page.getByText("資訊科").count()).toBe(1);
    await page.screenshot({ path: screenshotPath("repairs-new-360"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  // Painting and encoding 12 megapixels in the page takes ~5 s alone, several times that on a
  // loaded two-core runner with another test file beside it.
  it("reports with a camera-sized photo, shrunk in the browser before upload", { timeout: 90_000 }, async () => {
    // A 4000x3000 noisy JPEG, as a phone camera makes (several MB).
    const b64 = await page.evaluate(() => {
      const canvas = document.createElement("canvas");
      canvas.width = 4000;
      canvas.height = 3000;
      const ctx = canvas.getContext("2d")!;
      const img = ctx.createImageData(4000, 3000);
      for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 2654435761) % 251;
      ctx.putImageData(img, 0, 0);
      return canvas.toDataURL("image/jpeg", 0.95).split(",")[1]!;
    });
    const camera = Buffer.from(b64, "base64");
    cameraBytes = camera.length;
    expect(cameraBytes).toBeGreaterThan(5_242_880);
    await page.getByLabel("報修類型").selectOption({ label: `${typeName}（報修測試機關）` });
    await page.getByLabel("所在地點").selectOption({ label: "永華市政中心" });
    await page.getByLabel("所在樓層").fill("5F");
    await page.getByLabel("故障原因").fill("公文系統無法登入，顯示憑證錯誤");
    await page.getByLabel("照片（選填）").setInputFiles({ name: "camera.jpg", mimeType: "image/jpeg", buffer: camera });
    await expect.poll(() => page.getByText(/已選擇 1 張照片/).count(), { timeout: 15_000 }).toBe(1);
    await page.screenshot({ path: screenshotPath("repairs-new-filled-360"), fullPage: true });
    await page.getByRole("button", { name: "送出報修" }).click();
    await page.waitForURL(`${server.url}/repairs`);
    await page.getByRole("status").getByText("報修已送出，維修人員處理後會通知您。").waitFor();
    const card = page.locator(".ticket-card", { hasText: typeName });
    await expect.poll(() => card.locator(".status").textContent()).toBe("待處理");
    const stored = await c.db
      .selectFrom("repair_photos")
      .select((eb) => eb.fn("octet_length", ["bytes"]).as("n"))
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBeLessThan(1_500_000);
    await page.screenshot({ path: screenshotPath("repairs-mine-pending-360"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("the vendor sees the ticket with its photo and records the handling", async () => {
    await signIn(vendorPage, vendor, "/");
    await expect.poll(() => vendorPage.getByText("待我處理的報修").count()).toBe(1);
    await vendorPage.goto(`${server.url}/repairs/handle`);
    const card = vendorPage.locator(".ticket-card", { hasText: typeName });
    expect(await card.textContent()).toContain("王報修（資訊科）");
    await vendorPage.screenshot({ path: screenshotPath("repairs-handle-list-360"), fullPage: true });
    expect(await seriousViolations(vendorPage)).toEqual([]);
    await card.getByRole("link", { name: typeName }).click();
    await vendorPage.waitForURL(/\/repairs\/\d+$/);
    const photo = vendorPage.getByRole("img", { name: "照片 1" });
    await expect.poll(() => photo.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1600);
    await vendorPage.getByLabel("處理結果").fill("重新匯入憑證後可正常登入");
    await vendorPage.getByLabel("分類").selectOption("公文管理系統維修-一般操作問題");
    await vendorPage.screenshot({ path: screenshotPath("repairs-handle-form-360"), fullPage: true });
    expect(await seriousViolations(vendorPage)).toEqual([]);
    await vendorPage.getByRole("button", { name: "完成處理" }).click();
    await vendorPage.waitForURL(`${server.url}/repairs/handle`);
    await vendorPage.getByRole("status").getByText("已完成處理，已通知報修人及保管人。").waitFor();
  });

  it("the reporter reloads and sees 已處理 with the result", async () => {
    await page.goto(`${server.url}/repairs`);
    const card = page.locator(".ticket-card", { hasText: typeName });
    await expect.poll(() => card.locator(".status").textContent()).toBe("已處理");
    await card.getByRole("link", { name: typeName }).click();
    await page.waitForURL(/\/repairs\/\d+$/);
    await expect.poll(() => page.getByText("重新匯入憑證後可正常登入").count()).toBe(1);
    expect(await page.getByText("公文管理系統維修-一般操作問題").count()).toBe(1);
    await page.screenshot({ path: screenshotPath("repairs-processed-360"), fullPage: true });
    expect(await seriousViolations(page)).toEqual([]);
  });

  it("the Content Security Policy blocked nothing", () => {
    expect(cspErrors).toEqual([]);
  });
});
