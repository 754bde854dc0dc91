import http from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, jwtVerify } from "jose";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { backchannelLogoutFetch } from "../../bff/outbound/backchannel-logout.js";
import { freePort, silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, meta, type MadeAccount } from "../helpers/factory.js";
import { HandBrowser } from "../helpers/oidc-browser.js";

/**
 * Issue 14 item 1 (ADR 0023): one sign-out across the portal and single sign-on, with a
 * relying party on a second loopback origin that takes back-channel logout tokens.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
let issuer: string;
let user: MadeAccount;
let publicId: string;
let rp: http.Server;
let rpOrigin: string;
/** Bodies the RP's back-channel endpoint received, in order. */
const received: string[] = [];
let client: { clientId: string; clientSecret?: string };

const BACKCHANNEL = "/backchannel";
const EVENT = "http://schemas.openid.net/event/backchannel-logout";

beforeAll(async () => {
  rp = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.url === BACKCHANNEL && req.method === "POST") {
        received.push(body);
        res.writeHead(200).end();
      } else if (req.url === "/moved") {
        res.writeHead(302, { Location: `${rpOrigin}${BACKCHANNEL}` }).end();
      } else if (req.url === "/slow") {
        setTimeout(() => res.writeHead(200).end(), 2000).unref();
      } else res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => rp.listen(0, "127.0.0.1", resolve));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;

  const port = await freePort();
  c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
  server = await startTestServer(c, port);
  issuer = `${server.url}/oidc`;
  const agency = await makeAgency(c, "研考會");
  const unit = await makeUnit(c, agency.id);
  user = await makeAccount(c, { unitId: unit.id, name: "林登出" });
  publicId = (await c.db.selectFrom("accounts").select("public_id").where("id", "=", user.id).executeTakeFirstOrThrow())
    .public_id;
  client = await registerClient(c.db, {
    name: "差勤系統",
    ownerAgencyId: agency.id,
    redirectUris: [`${rpOrigin}/cb`],
    backchannelLogoutUri: `${rpOrigin}${BACKCHANNEL}`,
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["openid", "profile", "offline_access"],
  });
  await c.db.updateTable("oidc_clients").set({ pre_approved: true }).where("client_id", "=", client.clientId).execute();
});
afterAll(async () => {
  await server?.close();
  await c?.close();
  await new Promise((resolve) => rp?.close(resolve));
});

const discover = () =>
  oidc.discovery(new URL(issuer), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret!), {
    execute: [oidc.allowInsecureRequests],
  });

async function authorization(config: oidc.Configuration, scope = "openid profile") {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${rpOrigin}/cb`,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  return { url: url.href, verifier, state };
}

/** Signs in to the RP through the portal's SSO page; returns the ID token's sid. */
async function signInThroughSso(b: HandBrowser): Promise<string> {
  const config = await discover();
  const { url, verifier, state } = await authorization(config);
  let step = await b.follow(await b.fetch(url));
  if (!(step instanceof URL)) {
    step = await b.follow(
      await b.post(step.url, { intent: "login", username: user.username, password: user.password }),
    );
  }
  if (!(step instanceof URL)) throw new Error(`the flow stopped at ${step.url} (${step.status})`);
  const tokens = await oidc.authorizationCodeGrant(config, step, { pkceCodeVerifier: verifier, expectedState: state });
  return tokens.claims()!.sid as string;
}

/** The session token inside the portal cookie value (Remix's base64 JSON encoding). */
const tokenOf = (cookieValue: string | undefined) =>
  cookieValue ? (JSON.parse(Buffer.from(decodeURIComponent(cookieValue), "base64").toString()) as string) : undefined;

async function verifyLogoutToken(body: string) {
  const token = new URLSearchParams(body).get("logout_token")!;
  const jwks = (await (await fetch(`${issuer}/jwks`)).json()) as Parameters<typeof createLocalJWKSet>[0];
  const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(jwks), {
    issuer,
    audience: client.clientId,
  });
  // OIDC Back-Channel Logout §2.4 and ASVS 5.0 V10.5.5: typed, so it is no ID token to a confused RP.
  expect(protectedHeader.typ).toBe("logout+jwt");
  return payload;
}

/** Whether the next authorization request is answered without asking anyone (a code at once). */
async function silentCode(b: HandBrowser): Promise<boolean> {
  const { url } = await authorization(await discover());
  const step = await b.follow(await b.fetch(url));
  if (step instanceof URL) return step.searchParams.has("code");
  expect(await step.text()).toContain('name="password"');
  return false;
}

describe("one sign-out (issue 14 item 1)", () => {
  it("portal 登出 ends the browser's SSO session: the RP gets a signed logout token and the next request prompts", async () => {
    const b = new HandBrowser(server.url);
    const sid = await signInThroughSso(b);
    expect(await silentCode(b)).toBe(true); // single sign-on works before the sign-out
    received.length = 0;

    const out = await b.post("/logout", {});
    expect(out.status).toBe(302);
    expect(b.jar.has("portal_session")).toBe(false);

    expect(received).toHaveLength(1);
    const claims = await verifyLogoutToken(received[0]!);
    expect(claims.events).toEqual({ [EVENT]: {} });
    expect(claims.sub).toBe(publicId);
    expect(claims.sid).toBe(sid);
    expect(claims.nonce).toBeUndefined();
    expect(typeof claims.jti).toBe("string");
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(120); // short-lived

    expect(await silentCode(b)).toBe(false);
  });

  it("confirming 登出 at /oidc/session/end ends the portal session too (zh-TW styled page)", async () => {
    const b = new HandBrowser(server.url);
    await signInThroughSso(b);
    const token = tokenOf(b.jar.get("portal_session"));
    expect(await c.services.auth.actorFromToken(token, meta)).not.toBeNull();
    received.length = 0;

    const confirm = await b.fetch(`/oidc/session/end?client_id=${client.clientId}`);
    const page = await confirm.text();
    expect(confirm.status).toBe(200);
    expect(page).toContain("是否要登出公務入口網及已登入的系統？");
    expect(page).toContain("登出公務入口網及所有系統");
    expect(page).toContain("僅登出差勤系統");
    expect(page).toMatch(/<link rel="stylesheet" href="\/build\/[^"]+\.css">/);
    expect(page).not.toMatch(/style=|<style|<script/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)![1]!;

    const done = await b.post("/oidc/session/end/confirm", { xsrf, logout: "yes" });
    expect(done.status).toBe(303);
    expect(b.jar.has("portal_session")).toBe(false);
    expect(await c.services.auth.actorFromToken(token, meta)).toBeNull();
    const home = await b.fetch("/me");
    expect(home.status).toBe(302);
    expect(home.headers.get("location")).toMatch(/^\/login/);
    expect(received).toHaveLength(1);
    expect((await verifyLogoutToken(received[0]!)).sub).toBe(publicId);

    const success = await b.fetch(done.headers.get("location")!);
    expect(await success.text()).toContain("您已登出");
    expect(await silentCode(b)).toBe(false);
  });

  it("a new sign-in ends the session the browser carried: the old token no longer works", async () => {
    const b = new HandBrowser(server.url);
    const signIn = () => b.post("/login", { username: user.username, password: user.password, redirectTo: "/" });
    expect((await signIn()).status).toBe(302);
    const first = tokenOf(b.jar.get("portal_session"))!;
    expect(await c.services.auth.actorFromToken(first, meta)).not.toBeNull();
    expect((await signIn()).status).toBe(302);
    const second = tokenOf(b.jar.get("portal_session"))!;
    expect(second).not.toBe(first);
    expect(await c.services.auth.actorFromToken(first, meta)).toBeNull();
    expect(await c.services.auth.actorFromToken(second, meta)).not.toBeNull();
    // The old cookie, replayed by someone who kept it, is signed out.
    const old = new HandBrowser(server.url);
    old.jar.set("portal_session", encodeURIComponent(Buffer.from(JSON.stringify(first)).toString("base64")));
    expect((await old.fetch("/me")).headers.get("location")).toMatch(/^\/login/);
  });

  it("a re-sign-in through the SSO page also rotates the portal session", async () => {
    const b = new HandBrowser(server.url);
    await signInThroughSso(b);
    const first = tokenOf(b.jar.get("portal_session"))!;
    const config = await discover();
    const { url } = await authorization(config);
    // prompt=login makes the SSO page ask again although the browser is signed in.
    const step = await b.follow(await b.fetch(`${url}&prompt=login`));
    if (step instanceof URL) throw new Error("prompt=login was not honoured");
    const back = await b.follow(
      await b.post(step.url, { intent: "login", username: user.username, password: user.password }),
    );
    expect(back).toBeInstanceOf(URL);
    expect(tokenOf(b.jar.get("portal_session"))).not.toBe(first);
    expect(await c.services.auth.actorFromToken(first, meta)).toBeNull();
  });
});

describe("back-channel logout outbound policy", () => {
  const policy = () => backchannelLogoutFetch({ db: c.db, timeoutMs: 300 });

  it("sends only to registered URIs, private addresses included, and never follows a redirect", async () => {
    const send = policy();
    const ok = await send(`${rpOrigin}${BACKCHANNEL}`, { method: "POST", body: "logout_token=x" });
    expect(ok.status).toBe(200); // 127.0.0.1 is a registered intranet-like address: allowed
    await expect(send(`${rpOrigin}/elsewhere`, { method: "POST" })).rejects.toThrow(/not a registered/);
    await expect(send("http://169.254.169.254/latest/meta-data", { method: "POST" })).rejects.toThrow(
      /not a registered/,
    );
    await c.db
      .updateTable("oidc_clients")
      .set({ backchannel_logout_uri: `${rpOrigin}/moved` })
      .where("client_id", "=", client.clientId)
      .execute();
    try {
      await expect(send(`${rpOrigin}/moved`, { method: "POST" })).rejects.toThrow(/redirect/);
    } finally {
      await c.db
        .updateTable("oidc_clients")
        .set({ backchannel_logout_uri: `${rpOrigin}${BACKCHANNEL}` })
        .where("client_id", "=", client.clientId)
        .execute();
    }
  });

  it("gives up after its timeout, and a failed delivery does not fail the sign-out", async () => {
    await c.db
      .updateTable("oidc_clients")
      .set({ backchannel_logout_uri: `${rpOrigin}/slow` })
      .where("client_id", "=", client.clientId)
      .execute();
    try {
      const started = Date.now();
      await expect(policy()(`${rpOrigin}/slow`, { method: "POST" })).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(1500);

      // Through the app (5 s timeout): the RP answers in 2 s with 200, so instead make it refuse.
      await c.db
        .updateTable("oidc_clients")
        .set({ backchannel_logout_uri: `${rpOrigin}/moved` })
        .where("client_id", "=", client.clientId)
        .execute();
      const b = new HandBrowser(server.url);
      await signInThroughSso(b);
      const token = tokenOf(b.jar.get("portal_session"));
      silentLogger.errors.length = 0;
      const out = await b.post("/logout", {});
      expect(out.status).toBe(302);
      expect(out.headers.get("location")).toBe("/login");
      expect(await c.services.auth.actorFromToken(token, meta)).toBeNull();
      expect(await silentCode(b)).toBe(false);
      expect(silentLogger.errors.join("\n")).toMatch(/back-channel logout not delivered.*redirect/);
    } finally {
      await c.db
        .updateTable("oidc_clients")
        .set({ backchannel_logout_uri: `${rpOrigin}${BACKCHANNEL}` })
        .where("client_id", "=", client.clientId)
        .execute();
    }
  });
});
