import http from "node:http";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { HandBrowser } from "../helpers/oidc-browser.js";

/** Issue 14 item 6, the single sign-on items: discovery, issuer-origin URLs, pages in zh-TW. */
let c: Container;
let server: { url: string; close(): Promise<void> };
let issuer: string;
let user: MadeAccount;
let web: { clientId: string; clientSecret?: string };
let online: { clientId: string; clientSecret?: string };
const REDIRECT = "https://rp.example.test/cb";

beforeAll(async () => {
  const port = await freePort();
  c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
  server = await startTestServer(c, port);
  issuer = `${server.url}/oidc`;
  const agency = await makeAgency(c);
  user = await makeAccount(c, { unitId: (await makeUnit(c, agency.id)).id });
  web = await registerClient(c.db, {
    name: "公文系統",
    redirectUris: [REDIRECT],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["openid", "profile", "offline_access"],
  });
  online = await registerClient(c.db, {
    name: "線上系統",
    redirectUris: [REDIRECT],
    grantTypes: ["authorization_code"],
    scopes: ["openid", "profile"],
  });
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

/** A GET with a Host header of our choosing (fetch will not forge one). */
function getWithHost(path: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, headers: { host } },
      (res) => {
        let body = "";
        res.on("data", (d: Buffer) => (body += d.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function startAuthorization(scope: string, client = web, extra: Record<string, string> = {}) {
  const config = await oidc.discovery(
    new URL(issuer),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret!),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope,
    state: oidc.randomState(),
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    ...extra,
  }).href;
}

describe("OIDC hardening (issue 14 item 6)", () => {
  it("discovery offers only the code response type and back-channel logout with sid", async () => {
    const meta = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    expect(meta.response_types_supported).toEqual(["code"]);
    expect(meta.backchannel_logout_supported).toBe(true);
    expect(meta.backchannel_logout_session_supported).toBe(true);
  });

  it("names PUBLIC_ORIGIN in every URL whatever Host header the request carries", async () => {
    const { status, body } = await getWithHost("/oidc/.well-known/openid-configuration", "attacker.example:666");
    expect(status).toBe(200);
    const meta = JSON.parse(body) as Record<string, unknown>;
    expect(meta.issuer).toBe(issuer);
    const urls = Object.values(meta).filter((v): v is string => typeof v === "string" && /^https?:/.test(v));
    expect(urls.length).toBeGreaterThan(5);
    for (const u of urls) expect(u.startsWith(`${server.url}/`)).toBe(true);
    expect(body).not.toContain("attacker.example");
  });

  it("shows provider errors as a styled zh-TW page without inline script or style", async () => {
    const res = await fetch(`${issuer}/auth?client_id=no-such-client-00&response_type=code&scope=openid`);
    const page = await res.text();
    expect(res.status).toBe(400);
    expect(page).toContain("無法完成登入");
    expect(page).toContain("無法辨識發出請求的系統");
    expect(page).toMatch(/<link rel="stylesheet" href="\/build\/[^"]+\.css">/);
    expect(page).not.toMatch(/style=|<style|<script/);
    expect(page).not.toMatch(/client is invalid|not found/i);
    expect(res.headers.get("content-security-policy")).toContain("style-src 'self'");
    const css = await fetch(new URL(/href="(\/build\/[^"]+\.css)"/.exec(page)![1]!, server.url));
    expect(css.status).toBe(200);
  });

  it("answers /oidc/session/end without a sign-on session with a zh-TW page that posts itself under the CSP", async () => {
    const b = new HandBrowser(server.url);
    const res = await b.fetch("/oidc/session/end");
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(page).not.toContain("Submitting Callback");
    expect(page).toContain("正在完成登出");
    expect(page).toContain(">繼續</button>");
    const nonce = /<script nonce="([^"]+)">/.exec(page)![1]!;
    expect(res.headers.get("content-security-policy")).toContain(`'nonce-${nonce}'`);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;
    const done = await b.post("/oidc/session/end/confirm", { xsrf, logout: "yes" });
    expect(done.status).toBe(303);
    expect(await (await b.fetch(done.headers.get("location")!)).text()).toContain("您已登出");
  });

  it("answers an implicit-flow request with the zh-TW unsupported response type", async () => {
    const url = new URL(await startAuthorization("openid"));
    url.searchParams.set("response_type", "id_token");
    url.searchParams.set("nonce", "n");
    const b = new HandBrowser(server.url);
    const res = await b.fetch(url.href);
    // The provider sends the error to the registered callback, never an id_token.
    const location = res.headers.get("location") ?? "";
    const page = location ? "" : await res.text();
    expect(location.includes("id_token=") || page.includes("id_token=")).toBe(false);
    if (location) {
      const answer = new URLSearchParams(new URL(location).hash.slice(1));
      expect(answer.get("error")).toBe("unsupported_response_type");
    } else expect(page).toContain("回應方式不受支援");
  });

  /** The consent page a fresh browser reaches after signing in. */
  async function consentPage(url: string): Promise<string> {
    const b = new HandBrowser(server.url);
    let step = await b.follow(await b.fetch(url));
    if (step instanceof URL) throw new Error("no sign-in page");
    step = await b.follow(
      await b.post(step.url, { intent: "login", username: user.username, password: user.password }),
    );
    if (step instanceof URL) throw new Error("no consent page");
    const page = await step.text();
    expect(page).toContain("授權確認");
    return page;
  }

  it("names offline access and its 14 days on the consent page when a refresh token will be issued", async () => {
    const asked = await consentPage(
      await startAuthorization("openid profile offline_access", web, { prompt: "consent" }),
    );
    expect(asked).toContain("離線存取");
    expect(asked).toContain("更新權杖有效 14 天");
    // Registered for refresh tokens: they come without offline_access too, so consent says so.
    expect(await consentPage(await startAuthorization("openid profile"))).toContain("離線存取");
    expect(await consentPage(await startAuthorization("openid profile", online))).not.toContain("離線存取");
  });

  it("offers the other sign-in methods on the SSO page, each returning to the interaction", async () => {
    const b = new HandBrowser(server.url);
    const step = await b.follow(await b.fetch(await startAuthorization("openid")));
    if (step instanceof URL) throw new Error("no sign-in page");
    const page = await step.text();
    const back = encodeURIComponent(new URL(step.url).pathname);
    expect(page).toContain(`href="/login/temporary?redirectTo=${back}"`);
    expect(page).toContain(`href="/login/certificate?redirectTo=${back}"`);
    expect(page).toContain(`href="/forgot-password?redirectTo=${back}"`);
    expect(page).toContain("使用臨時密碼登入");
    expect(page).toContain("使用自然人憑證登入");
    expect(page).toContain("忘記密碼");
    const forgot = await (await b.fetch(`/forgot-password?redirectTo=${back}`)).text();
    expect(forgot).toContain("忘記密碼");

    // Signing in on /login with that redirect comes back and finishes the system's sign-in.
    const signedIn = await b.post(`/login?redirectTo=${back}`, {
      username: user.username,
      password: user.password,
      redirectTo: decodeURIComponent(back),
    });
    expect(signedIn.headers.get("location")).toBe(decodeURIComponent(back));
    const next = await b.follow(signedIn);
    if (next instanceof URL) throw new Error("consent was skipped");
    // Signed in now: the interaction moved on to this system's consent.
    expect(await next.text()).toContain("授權確認");
  });
});
