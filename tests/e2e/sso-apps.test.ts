import http from "node:http";
import * as oidc from "openid-client";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import {
  browserSkip,
  collectCspErrors,
  phoneContext,
  screenshotPath,
  signInThroughPage,
  submitSignIn,
  seriousViolations,
} from "./browser.js";

const skip = browserSkip();

/**
 * IDN-8 轉登 in Chromium: a signed-in user taps a system in 應用程式列表 and lands at the
 * system's callback with a validated ID token, never seeing a sign-in form. The system is a
 * tiny relying party on another origin that implements third-party-initiated login.
 */
describe.skipIf(skip)("transfer sign-in from the app list in Chromium (IDN-8)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let rp: http.Server;
  let rpUrl: string;
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  let user: MadeAccount;
  let admin: MadeAccount;
  let clientId = "";
  const cspErrors: string[] = [];
  const rpLog: string[] = [];

  /** The relying party: /login starts a PKCE sign-in (login_hint passed on), /cb finishes it. */
  function startRp(client: { clientId: string; clientSecret?: string }) {
    let config: oidc.Configuration | undefined;
    const pending = new Map<string, string>();
    rp = http.createServer((req, res) => {
      void (async () => {
        const url = new URL(req.url ?? "/", rpUrl);
        rpLog.push(url.pathname);
        config ??= await oidc.discovery(
          new URL(`${server.url}/oidc`),
          client.clientId,
          undefined,
          oidc.ClientSecretBasic(client.clientSecret!),
          { execute: [oidc.allowInsecureRequests] },
        );
        if (url.pathname === "/login") {
          if (url.searchParams.get("iss") !== `${server.url}/oidc`) throw new Error("wrong iss");
          const verifier = oidc.randomPKCECodeVerifier();
          const state = oidc.randomState();
          pending.set(state, verifier);
          const to = oidc.buildAuthorizationUrl(config, {
            redirect_uri: `${rpUrl}/cb`,
            scope: "openid profile",
            state,
            login_hint: url.searchParams.get("login_hint") ?? "",
            code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
            code_challenge_method: "S256",
          });
          res.writeHead(302, { Location: to.href }).end();
          return;
        }
        const state = url.searchParams.get("state") ?? "";
        const tokens = await oidc.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: pending.get(state),
          expectedState: state,
        });
        const claims = tokens.claims()!;
        // The ID token carries sub (claims conform to the spec); the name comes from userinfo.
        const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
        res
          .writeHead(200, { "Content-Type": "text/html; charset=utf-8" })
          .end(
            `<!DOCTYPE html><title>RP</title><p id="who">已登入：${String(info.name)}</p><p id="sub">${claims.sub}</p>`,
          );
      })().catch((e: unknown) => {
        res.writeHead(500).end(`RP error: ${String(e)}`);
      });
    });
    return new Promise<void>((resolve) => rp.listen(Number(new URL(rpUrl).port), "127.0.0.1", resolve));
  }

  beforeAll(async () => {
    const port = await freePort();
    c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
    server = await startTestServer(c, port);
    rpUrl = `http://127.0.0.1:${await freePort()}`;
    const unit = await makeUnit(c, (await makeAgency(c, "人事處")).id);
    user = await makeAccount(c, { unitId: unit.id, name: "黃小芳" });
    admin = await makeAccount(c, { unitId: unit.id, role: "sys_admin" });
    const client = await registerClient(c.db, {
      name: "差勤管理系統",
      redirectUris: [`${rpUrl}/cb`],
      grantTypes: ["authorization_code"],
      scopes: ["openid", "profile"],
    });
    await startRp(client);
    clientId = client.clientId;
    const { actor } = await signInAs(c, admin);
    await c.services.ssoClients.setTransfer(actor, client.clientId, {
      initiateLoginUri: `${rpUrl}/login`,
      preApproved: "on",
    });
    const add = (v: Record<string, string>) => c.services.appList.add(actor, { visible: "on", ...v });
    await add({ kind: "system", clientId: client.clientId, label: "差勤管理系統", icon: "差", sort: "10" });
    await add({ kind: "link", url: "https://isms.example.test/", label: "資安自我檢查表", sort: "20" });
    await add({ kind: "link", url: "https://faq.example.test/", label: "常見問題", sort: "30" });
    await add({ kind: "link", url: "https://edu.example.test/", label: "教育訓練報名", icon: "訓", sort: "40" });
    browser = await phoneContext();
    page = await browser.context.newPage();
    page.setDefaultTimeout(8000);
    collectCspErrors(page, cspErrors);
  });
  afterAll(async () => {
    await browser?.close();
    rp?.close();
    await server?.close();
    await c?.close();
  });

  it("opens the system from the app list already signed in: callback with an ID token, no sign-in form", async () => {
    await page.goto(`${server.url}/apps`);
    await page.waitForURL(/\/login/);
    await submitSignIn(page, user);
    await page.waitForURL(`${server.url}/apps`);
    await page.getByRole("link", { name: "差勤管理系統" }).waitFor();
    expect(await page.getByRole("link", { name: "資安自我檢查表" }).count()).toBe(1);
    await page.screenshot({ path: screenshotPath("sso-app-list-phone"), fullPage: true });
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
    // No horizontal scroll at 360 px.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

    const seen: string[] = [];
    page.on("framenavigated", (f) => {
      if (f === page.mainFrame()) seen.push(f.url());
    });
    const before = await c.db
      .selectFrom("accounts")
      .select("last_login_at")
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    await page.getByRole("link", { name: "差勤管理系統" }).click();
    await page.waitForURL(new RegExp(`^${rpUrl}/cb\\?`));
    expect(await page.locator("#who").textContent()).toBe("已登入：黃小芳");
    // Only the callback page was shown: no sign-in or consent page in between.
    expect(seen.filter((u) => u.startsWith(server.url))).toEqual([]);
    expect(rpLog.filter((p) => p !== "/favicon.ico")).toEqual(["/login", "/cb"]);
    const account = await c.db
      .selectFrom("accounts")
      .select(["public_id", "last_login_at"])
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(await page.locator("#sub").textContent()).toBe(account.public_id);
    expect(account.last_login_at!.getTime()).toBeGreaterThanOrEqual(before.last_login_at!.getTime());
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result", "client_id"])
      .where("account_id", "=", user.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record).toMatchObject({ method: "sso", result: "success" });
    expect(record.client_id).toBeTruthy();
    expect(cspErrors).toEqual([]);
  });

  it("lets a user apply on a phone: bad input keeps what was typed, in zh-TW; axe clean", async () => {
    await page.goto(`${server.url}/sso/apply`);
    await page.getByLabel("系統名稱").fill("公文線上簽核");
    await page.getByLabel("回呼網址（redirect URI）").fill("http://example.com/cb");
    await page.getByRole("button", { name: "送出申請" }).click();
    await page.getByText("申請資料有誤，請修正標示的欄位。").waitFor();
    expect(await page.getByText("須為 https 網址").count()).toBeGreaterThan(0);
    expect(await page.getByLabel("系統名稱").inputValue()).toBe("公文線上簽核");
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    await page.screenshot({ path: screenshotPath("sso-apply-phone"), fullPage: true });
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
    expect(cspErrors).toEqual([]);
  });

  it("shows the app list on the home page too", async () => {
    await page.goto(`${server.url}/`);
    await page.getByRole("link", { name: "差勤管理系統" }).waitFor();
    await page.screenshot({ path: screenshotPath("sso-home-apps-phone"), fullPage: true });
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
  });

  it("admin consoles are labelled and contrast-clean at desktop width (axe)", async () => {
    await browser.context.clearCookies();
    const desk = await browser.context.newPage();
    desk.setDefaultTimeout(8000);
    collectCspErrors(desk, cspErrors);
    await desk.setViewportSize({ width: 1280, height: 900 });
    await signInThroughPage(desk, server.url, admin);
    for (const path of [
      "/admin/apps",
      "/admin/sso-clients",
      `/admin/sso-clients/${clientId}`,
      "/admin/sso-applications",
    ]) {
      await desk.goto(`${server.url}${path}`);
      await desk.locator("h1").waitFor();
      const serious = await seriousViolations(desk);
      expect(serious, path).toEqual([]);
    }
    await desk.goto(`${server.url}/admin/apps`);
    await desk.screenshot({ path: screenshotPath("sso-admin-apps-desktop"), fullPage: true });
    expect(cspErrors).toEqual([]);
    await desk.close();
  });
});
