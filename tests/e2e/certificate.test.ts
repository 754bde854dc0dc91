import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { type FakeSigner, startFakeSigner } from "../helpers/fake-signer.js";
import { makeAccount, makeAgency, makeUnit } from "../helpers/factory.js";
import { makeCard, makeIssuingCa, makeRootCa, writeBundle } from "../helpers/test-pki.js";
import { browserSkip, collectCspErrors, phoneContext, screenshotPath, seriousViolations } from "./browser.js";

const skip = browserSkip();
const PIN = "A1b2c3d4";

describe.skipIf(skip)("citizen certificate sign-in in Chromium at phone size (IDN-4)", { timeout: 90_000 }, () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let signer: FakeSigner;
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  const cspErrors: string[] = [];
  /** Everything the page sent to the portal, to prove the PIN never goes there. */
  const toPortal: string[] = [];
  let accountId: number;
  /** Origins the fake component answers directly; emptied to send the page through its popup. */
  const trusted: string[] = [];
  let cardNo: string;

  beforeAll(async () => {
    const now = new Date();
    const root = await makeRootCa("CN=E2E Root, C=TW", now);
    const issuing = await makeIssuingCa(root, "CN=E2E Issuing CA, C=TW", now);
    // The fake component trusts the portal's origin, which is known only once it listens:
    // start it trusting a placeholder and fill the origin in below.
    signer = await startFakeSigner({ trustedOrigins: trusted });
    c = await testContainer({ env: { CERT_CA_BUNDLE: writeBundle(root, issuing), CERT_SIGNER_URL: signer.url } });
    server = await startTestServer(c);
    trusted.push(server.url);
    const unit = await makeUnit(c, (await makeAgency(c, "研考會")).id);
    const account = await makeAccount(c, { unitId: unit.id, name: "林憑證" });
    const card = await makeCard(issuing, { cardNo: "TP03000000007788", around: now });
    await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
    accountId = account.id;
    cardNo = card.cardNo;
    signer.insert(card, PIN);

    browser = await phoneContext();
    page = await browser.context.newPage();
    // Generous: CI runs two test files side by side on two cores.
    page.setDefaultTimeout(20_000);
    collectCspErrors(page, cspErrors);
    page.on("request", (r) => {
      if (r.url().startsWith(server.url)) toPortal.push(`${r.url()} ${r.postData() ?? ""}`);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await signer?.close();
    await c?.close();
  });

  it("goes from the sign-in page to the card, signs with the PIN and lands on home", async () => {
    await page.goto(`${server.url}/login`);
    await page.getByRole("link", { name: "使用自然人憑證登入" }).click();
    await page.waitForURL(/\/login\/certificate/);
    await page.getByRole("heading", { name: "自然人憑證登入" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);

    // A wrong PIN: the component refuses, the page says so, nothing reaches the portal.
    await page.getByLabel("自然人憑證 PIN 碼").fill("000000");
    await page.getByRole("button", { name: "以憑證登入" }).click();
    await page.getByRole("alert").filter({ hasText: "憑證卡簽章失敗" }).waitFor();
    await page.screenshot({ path: screenshotPath("certificate-login-wrong-pin"), fullPage: true });

    // The server refuses (card not linked yet): the page says why and holds a fresh challenge.
    await c.db.updateTable("accounts").set({ citizen_card_no: null }).where("id", "=", accountId).execute();
    await page.getByLabel("自然人憑證 PIN 碼").fill(PIN);
    await page.getByRole("button", { name: "以憑證登入" }).click();
    await page.getByRole("alert").filter({ hasText: "尚未綁定入口網帳號" }).waitFor();
    await c.db.updateTable("accounts").set({ citizen_card_no: cardNo }).where("id", "=", accountId).execute();

    await page.getByLabel("自然人憑證 PIN 碼").fill(PIN);
    await page.getByRole("button", { name: "以憑證登入" }).click();
    await page.waitForURL(`${server.url}/`);
    await page.getByRole("navigation").first().waitFor();
    await page.screenshot({ path: screenshotPath("certificate-login-home"), fullPage: true });

    expect(signer.requests.map((r) => r.pin)).toEqual(["000000", PIN, PIN]);
    expect(toPortal.filter((r) => r.includes(PIN) || r.includes("000000"))).toEqual([]);
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ method: "certificate", result: "success" });
    expect(cspErrors).toEqual([]);
  });

  it("shows the linked card on 我的 › 自然人憑證, with the linking form", async () => {
    await page.goto(`${server.url}/me`);
    await page.getByRole("link", { name: "自然人憑證" }).click();
    await page.waitForURL(/\/me\/certificate/);
    await page.getByText("已綁定卡號 ************7788。").waitFor();
    await page.getByRole("button", { name: "綁定自然人憑證" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("certificate-me"), fullPage: true });

    // Unlink, then link again by signing a link challenge with the card.
    await page.getByRole("button", { name: "解除綁定" }).click();
    await page.getByText("已解除自然人憑證綁定。").waitFor();
    await page.getByText("尚未綁定自然人憑證。").waitFor();
    await page.getByLabel("自然人憑證 PIN 碼").fill(PIN);
    await page.getByRole("button", { name: "綁定自然人憑證" }).click();
    await page.getByText("已綁定自然人憑證（卡號 ************7788），下次可用憑證登入。").waitFor();
    const row = await c.db
      .selectFrom("accounts")
      .select("citizen_card_no")
      .where("id", "=", accountId)
      .executeTakeFirstOrThrow();
    expect(row.citizen_card_no).toBe(cardNo);
    expect(cspErrors).toEqual([]);
  });

  it("goes through the component's popup window when it does not answer this site directly", async () => {
    await browser.context.clearCookies();
    trusted.length = 0;
    await page.goto(`${server.url}/login/certificate`);
    await page.waitForLoadState("networkidle"); // the page has found out how to reach the component
    await page.getByLabel("自然人憑證 PIN 碼").fill(PIN);
    const popup = page.waitForEvent("popup");
    await page.getByRole("button", { name: "以憑證登入" }).click();
    expect((await popup).url()).toBe(`${signer.url}/popupForm`);
    await page.waitForURL(`${server.url}/`);
    expect(signer.requests.at(-1)?.pin).toBe(PIN);
    expect(toPortal.filter((r) => r.includes(PIN))).toEqual([]);
    expect(cspErrors).toEqual([]);
  });

  it("tells the user to install and start the component when nothing answers", async () => {
    await browser.context.clearCookies();
    await signer.close();
    await page.goto(`${server.url}/login/certificate`);
    await page.getByRole("alert").filter({ hasText: "請先安裝並啟動跨平台網頁元件" }).waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("certificate-login-no-component"), fullPage: true });
  });
});
