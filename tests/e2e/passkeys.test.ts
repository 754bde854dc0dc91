import type { CDPSession, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  phoneContext,
  screenshotPath,
  seriousViolations,
  submitSignIn,
} from "./browser.js";

const skip = browserSkip();

/**
 * Issue 17 item 7 (ADR 0034) end to end in Chromium with its virtual authenticator (CDP
 * WebAuthn domain: a platform authenticator with resident keys and user verification):
 * register on 我的 › 登入安全設定, sign out, sign in with the passkey alone, remove it. The
 * relying party is PUBLIC_ORIGIN, so the page is served as http://localhost (a secure context;
 * an IP address cannot be an RP ID). The service's refusals are tests/integration/passkeys.test.ts.
 */
describe.skipIf(skip)("passkeys in Chromium", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  let cdp: CDPSession;
  let user: MadeAccount;
  let origin: string;
  const cspErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    origin = `http://localhost:${port}`;
    c = await testContainer({ env: { PUBLIC_ORIGIN: origin } });
    server = await startTestServer(c, port);
    const unit = await makeUnit(c, (await makeAgency(c, "研考會")).id);
    user = await makeAccount(c, { unitId: unit.id, name: "陳通行" });
    browser = await phoneContext();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    collectCspErrors(page, cspErrors);
    cdp = await browser.context.newCDPSession(page);
    await cdp.send("WebAuthn.enable", { enableUI: false });
    await cdp.send("WebAuthn.addVirtualAuthenticator", {
      options: {
        protocol: "ctap2",
        transport: "internal",
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("registers a passkey, signs in with it alone, and removes it", async () => {
    await page.goto(`${origin}/login?redirectTo=%2Fme%2Fsecurity`);
    await submitSignIn(page, user);
    await page.waitForURL(/\/me\/security$/);
    await page.getByLabel("通行金鑰名稱").fill("公務手機");
    await page.getByRole("button", { name: "以此裝置新增通行金鑰" }).click();
    await page.getByText("已新增通行金鑰「公務手機」").first().waitFor();
    await page.getByRole("list", { name: "我的通行金鑰" }).getByText("公務手機").waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: screenshotPath("passkeys-phone"), fullPage: true });

    // Sign out, then in with the passkey: no username, no password.
    await page.goto(`${origin}/me`);
    await page.getByRole("button", { name: "登出" }).first().click();
    await page.waitForURL((u) => u.pathname === "/login");
    await page.getByRole("button", { name: "使用通行金鑰登入" }).click();
    await page.waitForURL((u) => u.pathname === "/");
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", user.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ method: "passkey", result: "success" });

    await page.goto(`${origin}/me/security`);
    await page.getByText(/最後使用：\d/).waitFor();
    // Removing asks first (issue 17 item 3): the dialog names what happens, then 移除.
    await page.getByRole("link", { name: "移除通行金鑰「公務手機」" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "移除" }).click();
    await page.getByText("已移除通行金鑰「公務手機」").first().waitFor();
    expect(await c.db.selectFrom("passkeys").select("id").where("account_id", "=", user.id).execute()).toEqual([]);
    expect(cspErrors).toEqual([]);
  }, 60_000);
});
