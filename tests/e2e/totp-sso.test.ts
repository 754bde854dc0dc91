import http from "node:http";
import type { AddressInfo } from "node:net";
import * as oidc from "openid-client";
import { generateSync } from "otplib";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";
import { browserSkip, collectCspErrors, phoneContext, submitSignIn, seriousViolations } from "./browser.js";

const skip = browserSkip();

/** IDN-2 + IDN-6: another system's sign-in also asks for the TOTP code, on the portal's page. */
describe.skipIf(skip)("single sign-on with TOTP in Chromium (IDN-2, IDN-6)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let rp: http.Server;
  let rpUrl: string;
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  let user: MadeAccount;
  let secret: string;
  let client: { clientId: string; clientSecret?: string };
  const cspErrors: string[] = [];
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    const port = await freePort();
    c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
    server = await startTestServer(c, port);
    rp = http.createServer((_req, res) => res.end("<!DOCTYPE html><title>RP</title><p>callback</p>"));
    await new Promise<void>((resolve) => rp.listen(0, "127.0.0.1", resolve));
    rpUrl = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
    const unit = await makeUnit(c, (await makeAgency(c, "研考會")).id);
    user = await makeAccount(c, { unitId: unit.id, name: "王大同" });
    const { actor } = await signInAs(c, user);
    secret = (await c.services.auth.totp.startEnrolment(actor)).secret;
    await c.services.auth.totp.confirmEnrolment(actor, generateSync({ secret, epoch: now() - 30 }));
    await c.db.deleteFrom("sessions").where("account_id", "=", user.id).execute();
    client = await registerClient(c.db, {
      name: "差勤系統",
      redirectUris: [`${rpUrl}/cb`],
      scopes: ["openid", "profile"],
    });
    browser = await phoneContext();
    page = await browser.context.newPage();
    page.setDefaultTimeout(10_000);
    collectCspErrors(page, cspErrors);
  });
  afterAll(async () => {
    await browser?.close();
    rp?.close();
    await server?.close();
    await c?.close();
  });

  it("password, then the code, then consent and back to the system", async () => {
    const config = await oidc.discovery(
      new URL(`${server.url}/oidc`),
      client.clientId,
      undefined,
      oidc.ClientSecretBasic(client.clientSecret!),
      { execute: [oidc.allowInsecureRequests] },
    );
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: `${rpUrl}/cb`,
      scope: "openid profile",
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    await page.goto(url.href);
    await page.waitForURL(/\/sso\/interaction\//);
    await submitSignIn(page, user);
    await page.getByRole("heading", { name: "兩步驟驗證" }).waitFor();
    expect(await c.db.selectFrom("sessions").select("id").where("account_id", "=", user.id).execute()).toHaveLength(0);

    await page.getByLabel("驗證碼").fill("000000");
    await page.getByRole("button", { name: "驗證並登入" }).click();
    await page.getByRole("alert").filter({ hasText: "驗證碼錯誤" }).waitFor();
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);

    await page.getByLabel("驗證碼").fill(generateSync({ secret, epoch: now() + 30 }));
    await page.getByRole("button", { name: "驗證並登入" }).click();
    await page.getByRole("button", { name: "同意並繼續" }).click();
    await page.waitForURL(new RegExp(`^${rpUrl}/cb\\?`));
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    expect(tokens.claims()?.sub).toBeTruthy();
    const records = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", user.id)
      .orderBy("id")
      .execute();
    expect(records.slice(-3)).toEqual([
      { method: "sso", result: "totp_required" },
      { method: "totp", result: "wrong_code" },
      { method: "sso", result: "success" },
    ]);
    expect(cspErrors).toEqual([]);
  }, 60_000);
});
