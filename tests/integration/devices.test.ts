import http from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "kysely";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { sessionIdOf } from "../../bff/auth/sessions.js";
import { sessionHandle } from "../../bff/devices/sessions.js";
import { describeUserAgent } from "../../bff/devices/user-agent.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, meta, signInAs, type MadeAccount } from "../helpers/factory.js";
import { flashOf, postAs, signInOverHttp } from "../helpers/http-session.js";
import { HandBrowser } from "../helpers/oidc-browser.js";

/**
 * Issue 17 item 6 (ADR 0033): 我的 › 登入裝置與授權 — my sessions per device, ending one or all
 * others (with the single sign-on session of that device), revoking a system's consent (its
 * refresh token then fails), and an admin's 結束所有裝置的登入, scoped to their agency.
 */
const PHONE =
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
const DESKTOP =
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.0.0";

/** A HandBrowser that says which browser it is, as a real one would. */
class Device extends HandBrowser {
  constructor(
    origin: string,
    readonly ua: string,
  ) {
    super(origin);
  }
  override fetch(url: string, init: RequestInit = {}) {
    return super.fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), "user-agent": this.ua },
    });
  }
}

let c: Container;
let server: { url: string; close(): Promise<void> };
let rp: http.Server;
let rpOrigin: string;
const received: string[] = [];
let client: { clientId: string; clientSecret?: string };
let user: MadeAccount;
let admin: MadeAccount;
let stranger: MadeAccount;

beforeAll(async () => {
  rp = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => {
      if (req.url === "/backchannel") received.push(body);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => rp.listen(0, "127.0.0.1", resolve));
  rpOrigin = `http://127.0.0.1:${(rp.address() as AddressInfo).port}`;
  const port = await freePort();
  c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
  server = await startTestServer(c, port);
  const agency = await makeAgency(c, "研考會");
  const unit = await makeUnit(c, agency.id);
  user = await makeAccount(c, { unitId: unit.id, name: "林裝置" });
  admin = await makeAccount(c, { unitId: unit.id, role: "agency_admin" });
  const other = await makeAgency(c, "法制處");
  stranger = await makeAccount(c, { unitId: (await makeUnit(c, other.id)).id });
  client = await registerClient(c.db, {
    name: "差勤系統",
    ownerAgencyId: agency.id,
    redirectUris: [`${rpOrigin}/cb`],
    backchannelLogoutUri: `${rpOrigin}/backchannel`,
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["openid", "profile", "offline_access"],
  });
});
afterAll(async () => {
  await server?.close();
  await c?.close();
  await new Promise((resolve) => rp?.close(resolve));
});

const discover = () =>
  oidc.discovery(
    new URL(`${server.url}/oidc`),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret!),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );

/** Signs in to the system through the SSO pages (password, then consent when asked); its tokens. */
async function signInToSystem(b: HandBrowser) {
  const config = await discover();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${rpOrigin}/cb`,
    scope: "openid profile",
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  let step = await b.follow(await b.fetch(url.href));
  for (let i = 0; i < 3 && !(step instanceof URL); i++) {
    const page = await step.text();
    const form: Record<string, string> = page.includes('name="password"')
      ? { intent: "login", username: user.username, password: user.password }
      : { intent: "consent" };
    step = await b.follow(await b.post(step.url, form));
  }
  if (!(step instanceof URL)) throw new Error("the SSO flow did not finish");
  return {
    config,
    tokens: await oidc.authorizationCodeGrant(config, step, { pkceCodeVerifier: verifier, expectedState: state }),
  };
}

const tokenOf = (b: HandBrowser) =>
  JSON.parse(Buffer.from(decodeURIComponent(b.jar.get("portal_session")!), "base64").toString()) as string;
const cookieOf = (b: HandBrowser) => `portal_session=${b.jar.get("portal_session")}`;
const actorOf = async (b: HandBrowser) => (await c.services.auth.actorFromToken(tokenOf(b), meta))!;
const signInPortal = (b: HandBrowser) =>
  b.post("/login", { username: user.username, password: user.password, redirectTo: "/" });

/** Whether the system gets a code without anyone signing in (the device's SSO session is alive). */
async function silentCode(b: HandBrowser): Promise<boolean> {
  const config = await discover();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: `${rpOrigin}/cb`,
    scope: "openid profile",
    state: "s",
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: "S256",
  });
  const step = await b.follow(await b.fetch(url.href));
  return step instanceof URL && step.searchParams.has("code");
}

const audits = (action: string) =>
  c.db.selectFrom("audit_log").selectAll().where("action", "=", action).orderBy("id", "desc").execute();

describe("the User-Agent reader", () => {
  it("names browser, system and kind, and never guesses", () => {
    expect(describeUserAgent(PHONE).label).toBe("Chrome 120・Android 14（手機）");
    expect(describeUserAgent(DESKTOP).label).toBe("Edge 121・Windows（電腦）");
    expect(
      describeUserAgent(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
      ).label,
    ).toBe("Safari 17・iOS 17（手機）");
    expect(describeUserAgent("curl/8.5").label).toBe("其他瀏覽器・其他系統（電腦）");
    expect(describeUserAgent("").label).toBe("未知的裝置");
  });
});

describe("我的 › 登入裝置與授權 (issue 17 item 6)", () => {
  it("lists each live session with device, address and times; this one marked and first", async () => {
    const phone = new Device(server.url, PHONE);
    const desk = new Device(server.url, DESKTOP);
    await signInPortal(phone);
    await signInPortal(desk);
    const page = await desk.fetch("/me/sessions");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("Chrome 120・Android 14（手機）");
    expect(html).toContain("Edge 121・Windows（電腦）");
    expect(html).toContain("目前這個裝置");
    expect(html).not.toContain(sessionIdOf(tokenOf(phone))); // the table's key never reaches a page
    const list = await c.services.devices.mySessions(await actorOf(desk));
    expect(list[0]).toMatchObject({ current: true, device: { label: "Edge 121・Windows（電腦）" } });
    expect(list.find((s) => !s.current)?.device.label).toBe("Chrome 120・Android 14（手機）");
  });

  it("ending another device's session ends its SSO session too; mine and my SSO stay", async () => {
    const phone = new Device(server.url, PHONE);
    const desk = new Device(server.url, DESKTOP);
    await signInToSystem(phone); // the SSO page opens the phone's portal session as well
    await signInToSystem(desk);
    const linked = await c.db
      .selectFrom("sessions")
      .select("sso_session_uid")
      .where("id", "=", sessionIdOf(tokenOf(phone)))
      .executeTakeFirstOrThrow();
    expect(linked.sso_session_uid).toBeTruthy();
    received.length = 0;

    const res = await postAs(
      server.url,
      cookieOf(desk),
      "/me/sessions",
      new URLSearchParams({ intent: "end", session: sessionHandle(sessionIdOf(tokenOf(phone))) }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/me/sessions");
    expect((await flashOf(res, c.cookieSecret))?.message).toBe(
      "已結束「Chrome 120・Android 14（手機）」的登入，該裝置登入的系統也已登出。",
    );
    expect(await c.services.auth.actorFromToken(tokenOf(phone), meta)).toBeNull();
    expect(received).toHaveLength(1); // the system heard of the phone's sign-out
    expect(await silentCode(phone)).toBe(false);
    expect(await silentCode(desk)).toBe(true);
    expect((await audits("session.end"))[0]).toMatchObject({ actor_id: user.id, target_id: String(user.id) });
  });

  it("a re-sign-in on /login that keeps the same person's SSO session links it to the new session", async () => {
    const phone = new Device(server.url, PHONE);
    await signInToSystem(phone);
    const uidOf = async (b: HandBrowser) =>
      (
        await c.db
          .selectFrom("sessions")
          .select("sso_session_uid")
          .where("id", "=", sessionIdOf(tokenOf(b)))
          .executeTakeFirstOrThrow()
      ).sso_session_uid;
    const before = await uidOf(phone);
    await signInPortal(phone);
    expect(await uidOf(phone)).toBe(before);
    expect(await silentCode(phone)).toBe(true);
  });

  it("this device cannot be ended from the list, and an ended one says so (nothing changes)", async () => {
    const desk = new Device(server.url, DESKTOP);
    await signInPortal(desk);
    const mine = sessionHandle(sessionIdOf(tokenOf(desk)));
    const self = await postAs(
      server.url,
      cookieOf(desk),
      "/me/sessions",
      new URLSearchParams({ intent: "end", session: mine }),
    );
    expect(self.status).toBe(400);
    expect(await self.text()).toContain("請使用「登出」");
    const gone = await postAs(
      server.url,
      cookieOf(desk),
      "/me/sessions",
      new URLSearchParams({ intent: "end", session: "AAAAAAAAAAAAAAAA" }),
    );
    expect(gone.status).toBe(409);
    const bad = await postAs(
      server.url,
      cookieOf(desk),
      "/me/sessions",
      new URLSearchParams({ intent: "end", session: "x'--" }),
    );
    expect(bad.status).toBe(400);
    expect(await c.services.auth.actorFromToken(tokenOf(desk), meta)).not.toBeNull();
  });

  it("登出其他所有裝置 ends every other session and its SSO, keeping this one", async () => {
    const a = new Device(server.url, PHONE);
    const b = new Device(server.url, PHONE);
    const me = new Device(server.url, DESKTOP);
    await signInToSystem(a);
    await signInPortal(b);
    await signInToSystem(me);
    const res = await postAs(server.url, cookieOf(me), "/me/sessions", new URLSearchParams({ intent: "end-others" }));
    expect(res.status).toBe(303);
    expect((await flashOf(res, c.cookieSecret))?.message).toMatch(/^已登出其他 \d+ 個裝置。$/);
    expect(await c.services.auth.actorFromToken(tokenOf(a), meta)).toBeNull();
    expect(await c.services.auth.actorFromToken(tokenOf(b), meta)).toBeNull();
    expect(await silentCode(a)).toBe(false);
    const mine = await c.services.devices.mySessions(await actorOf(me));
    expect(mine.map((s) => s.current)).toEqual([true]);
    expect(await silentCode(me)).toBe(true);
    expect(await audits("session.end_others")).toHaveLength(1);
  });

  it("撤銷授權: the system leaves the list, its refresh token fails, and the audit says who", async () => {
    const b = new Device(server.url, DESKTOP);
    const { config, tokens } = await signInToSystem(b);
    expect(tokens.refresh_token).toBeTruthy();
    const before = await c.services.devices.myConsents(await actorOf(b));
    const mine = before.find((x) => x.clientId === client.clientId)!;
    expect(mine.name).toBe("差勤系統");
    expect(mine.scopes.map((s) => s.label)).toEqual(
      expect.arrayContaining(["確認您的身分（帳號識別碼）", "姓名與帳號"]),
    );
    const page = await (await b.fetch("/me/sessions")).text();
    expect(page).toContain("差勤系統");
    expect(page).toContain("撤銷授權");
    // The refresh token works before the revocation (so its failure after proves the revocation).
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    const held = refreshed.refresh_token ?? tokens.refresh_token!;
    const grantIds = (
      await c.db
        .selectFrom("oidc_payloads")
        .select("id")
        .where("model", "=", "Grant")
        .where(sql<string>`payload->>'clientId'`, "=", client.clientId)
        .execute()
    ).map((g) => g.id);
    const issued = () => c.db.selectFrom("oidc_payloads").select(["model"]).where("grant_id", "in", grantIds).execute();
    expect((await issued()).map((r) => r.model)).toContain("RefreshToken");

    const res = await postAs(
      server.url,
      cookieOf(b),
      "/me/sessions",
      new URLSearchParams({ intent: "revoke", clientId: client.clientId }),
    );
    expect(res.status).toBe(303);
    expect((await flashOf(res, c.cookieSecret))?.message).toContain("已撤銷「差勤系統」的授權");
    await expect(oidc.refreshTokenGrant(config, held)).rejects.toMatchObject({ error: "invalid_grant" });
    expect(await issued()).toEqual([]); // the tokens themselves are gone, not only the grant
    const after = await c.services.devices.myConsents(await actorOf(b));
    expect(after.find((x) => x.clientId === client.clientId)).toBeUndefined();
    expect((await audits("oidc_grant.revoke"))[0]).toMatchObject({
      actor_id: user.id,
      target_type: "oidc_client",
      target_id: client.clientId,
    });
    const again = await postAs(
      server.url,
      cookieOf(b),
      "/me/sessions",
      new URLSearchParams({ intent: "revoke", clientId: client.clientId }),
    );
    expect(again.status).toBe(409);
  });
});

describe("帳號狀態 › 結束所有裝置的登入 (admin)", () => {
  it("an agency admin ends every session and SSO session of their agency's person", async () => {
    const phone = new Device(server.url, PHONE);
    await signInToSystem(phone);
    await signInAs(c, user);
    const cookie = await signInOverHttp(server.url, admin);
    const res = await postAs(
      server.url,
      cookie,
      `/admin/accounts/${user.id}`,
      new URLSearchParams({ intent: "end-sessions" }),
    );
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/admin/accounts/${user.id}?tab=status`);
    expect((await flashOf(res, c.cookieSecret))?.message).toMatch(/^已結束此帳號在 \d+ 個裝置的登入$/);
    const left = await c.db.selectFrom("sessions").select("id").where("account_id", "=", user.id).execute();
    expect(left).toHaveLength(0);
    expect(await silentCode(phone)).toBe(false);
    expect((await audits("account.end_sessions"))[0]).toMatchObject({ actor_id: admin.id, target_id: String(user.id) });
  });

  it("another agency's person does not exist for them (404), and their sessions stay", async () => {
    const { token } = await signInAs(c, stranger);
    const cookie = await signInOverHttp(server.url, admin);
    const res = await postAs(
      server.url,
      cookie,
      `/admin/accounts/${stranger.id}`,
      new URLSearchParams({ intent: "end-sessions" }),
    );
    expect(res.status).toBe(404);
    const { actor } = await signInAs(c, admin);
    await expect(c.services.devices.endAccountSessions(actor, stranger.id)).rejects.toMatchObject({
      code: "not_found",
    });
    const person = await signInAs(c, user);
    await expect(c.services.devices.endAccountSessions(person.actor, user.id)).rejects.toMatchObject({
      code: "not_found",
    });
    expect(await c.services.auth.actorFromToken(token, meta)).not.toBeNull();
  });
});
