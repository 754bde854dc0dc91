import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, signInAs, type MadeAccount } from "../helpers/factory.js";
import { browserSkip, phoneContext, screenshotPath, seriousViolations, submitSignIn } from "./browser.js";

const skip = browserSkip();

/** Issue 17 item 6 on a 360 px phone: 登入裝置與授權 lists, ends a device, revokes a system. */
describe.skipIf(skip)("登入裝置與授權 in Chromium (issue 17 item 6)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  let user: MadeAccount;

  beforeAll(async () => {
    c = await testContainer();
    server = await startTestServer(c);
    const agency = await makeAgency(c, "研考會");
    user = await makeAccount(c, { unitId: (await makeUnit(c, agency.id)).id, name: "陳小明" });
    await signInAs(c, user); // another device
    const { clientId } = await registerClient(c.db, {
      name: "差勤系統",
      ownerAgencyId: agency.id,
      redirectUris: ["https://hr.example.gov.tw/cb"],
      grantTypes: ["authorization_code"],
      scopes: ["openid", "profile"],
    });
    // The consent oidc-provider would have stored (its Grant), made here without a sign-in flow.
    const { public_id } = await c.db
      .selectFrom("accounts")
      .select("public_id")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    const iat = Math.floor(Date.now() / 1000);
    await c.db
      .insertInto("oidc_payloads")
      .values({
        id: "grant-e2e",
        model: "Grant",
        payload: JSON.stringify({
          kind: "Grant",
          jti: "grant-e2e",
          accountId: public_id,
          clientId,
          iat,
          exp: iat + 3600,
          openid: { scope: "openid profile" },
        }),
        expires_at: new Date((iat + 3600) * 1000),
      })
      .execute();
    browser = await phoneContext();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await c?.close();
  });

  it("shows devices and systems at 360 px, ends the other device and revokes the system", async () => {
    await page.goto(`${server.url}/login?redirectTo=%2Fme%2Fsessions`);
    await submitSignIn(page, user);
    await page.waitForURL(/\/me\/sessions$/);
    await page.getByText("目前這個裝置").waitFor();
    await page.getByText("姓名與帳號").waitFor();
    await page.screenshot({ path: screenshotPath("devices-phone"), fullPage: true });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole("button", { name: "結束這個裝置的登入" }).click();
    await page.getByText("已結束「其他瀏覽器・其他系統（電腦）」的登入").waitFor();
    expect(await page.getByRole("button", { name: "結束這個裝置的登入" }).count()).toBe(0);

    await page.getByRole("button", { name: "撤銷授權" }).click();
    await page.getByText("已撤銷「差勤系統」的授權").waitFor();
    await page.getByText("目前沒有已授權的系統。").waitFor();
  });
});
