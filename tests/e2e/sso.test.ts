import http from "node:http";
import type { AddressInfo } from "node:net";
import * as oidc from "openid-client";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { browserSkip, phoneContext, submitSignIn, seriousViolations } from "./browser.js";

const skip = browserSkip();

describe.skipIf(skip)("single sign-on for another system in Chromium (IDN-6)", () => {
  let c: Container;
  let server: { url: string; close(): Promise<void> };
  let rp: http.Server;
  let rpUrl: string;
  let browser: Awaited<ReturnType<typeof phoneContext>>;
  let page: Page;
  let user: MadeAccount;
  let client: { clientId: string; clientSecret?: string };
  const cspErrors: string[] = [];

  beforeAll(async () => {
    const port = await freePort();
    c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
    server = await startTestServer(c, port);
    // The other system: another origin, answering its callback with a plain page.
    rp = http.createServer((_req, res) => res.end("<!DOCTYPE html><title>RP</title><p>callback</p>"));
    await new Promise<void>((resolve) => rp.listen(0, "127.0.0.1", resolve));
    rpUrl = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
    const unit = await makeUnit(c, (await makeAgency(c, "研考會")).id);
    user = await makeAccount(c, { unitId: unit.id, name: "林小華" });
    client = await registerClient(c.db, {
      name: "差勤系統",
      redirectUris: [`${rpUrl}/cb`],
      scopes: ["openid", "profile", "agency"],
    });
    browser = await phoneContext();
    page = await browser.context.newPage();
    page.setDefaultTimeout(8000);
    page.on("console", (m) => {
      if (/Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
  });
  afterAll(async () => {
    await browser?.close();
    rp?.close();
    await server?.close();
    await c?.close();
  });

  it("signs in, consents, and returns to the system with a code that yields validated tokens", async () => {
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
      scope: "openid profile agency",
      state,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: "S256",
    });
    await page.goto(url.href);
    await page.waitForURL(/\/sso\/interaction\//);
    await expect.poll(() => page.getByText("差勤系統").count()).toBeGreaterThan(0);
    await submitSignIn(page, user);
    await page
      .getByRole("button", { name: "同意並繼續" })
      .waitFor()
      .catch(async (e) => {
        throw new Error(`${String(e)} at ${page.url()}: ${(await page.content()).slice(0, 1500)}`);
      });
    expect(await page.getByText("機關").count()).toBeGreaterThan(0);
    const serious = await seriousViolations(page);
    expect(serious).toEqual([]);
    await page.getByRole("button", { name: "同意並繼續" }).click();
    await page.waitForURL(new RegExp(`^${rpUrl}/cb\\?`)).catch((e) => {
      throw new Error(`${String(e)} at ${page.url()} CSP: ${cspErrors.join(" | ")}`);
    });
    const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(info).toMatchObject({ name: "林小華", agency: "研考會" });
    expect(cspErrors).toEqual([]);
  });
});
