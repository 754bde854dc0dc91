import { sql } from "kysely";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { clientMetadata } from "../../bff/oidc/clients.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { HandBrowser } from "../helpers/oidc-browser.js";

/**
 * IDN-6/8 over HTTP: integration applications and their review, the client console
 * (disable, rotate, recent sign-ins) and the app list with transfer sign-in.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
let agencyId: number;
let applicant: MadeAccount, other: MadeAccount, admin: MadeAccount, agencyAdmin: MadeAccount;
const REDIRECT = "https://rp.example.test/cb";
const INITIATE = "https://rp.example.test/login";
/** An intranet address: back-channel logout may reach private addresses (ADR 0023). */
const BACKCHANNEL = "https://10.20.30.40/oidc/backchannel";

beforeAll(async () => {
  const port = await freePort();
  c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
  server = await startTestServer(c, port);
  const agency = await makeAgency(c, `資訊中心${port}`);
  agencyId = agency.id;
  const unit = await makeUnit(c, agency.id, "系統科");
  applicant = await makeAccount(c, { unitId: unit.id, name: "陳申請" });
  await c.db.updateTable("accounts").set({ needs_official_mail: true }).where("id", "=", applicant.id).execute();
  other = await makeAccount(c, { unitId: unit.id, name: "林同仁" });
  admin = await makeAccount(c, { unitId: unit.id, role: "sys_admin", name: "系統管理者" });
  agencyAdmin = await makeAccount(c, { unitId: unit.id, role: "agency_admin", name: "機關管理者" });
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

/** A browser by hand: a cookie jar and manual redirects. */
class Browser extends HandBrowser {
  constructor() {
    super(server.url);
  }
  /** Repeated fields (checkbox groups) as arrays. */
  override post(url: string, form: Record<string, string | string[]>) {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return this.fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: server.url },
      body: body.toString(),
    });
  }
}

async function signedIn(a: MadeAccount): Promise<Browser> {
  const b = new Browser();
  const res = await b.post("/login", { username: a.username, password: a.password });
  expect(res.status).toBe(302);
  expect(b.jar.has("portal_session")).toBe(true);
  return b;
}

const good = (name: string) => ({
  systemName: name,
  ownerAgencyId: String(agencyId),
  contactName: "陳申請",
  contactPhone: "06-2991111#1234",
  contactEmail: "owner@example.test",
  grantTypes: ["authorization_code", "refresh_token", "client_credentials"],
  scopes: ["openid", "profile", "offline_access", "verify"],
  redirectUris: REDIRECT,
  postLogoutRedirectUri: "https://rp.example.test/bye",
  initiateLoginUri: INITIATE,
  backchannelLogoutUri: BACKCHANNEL,
  reason: "差勤系統改用入口網單一登入",
});

const applicationCount = async () =>
  Number((await sql<{ n: string }>`SELECT count(*) AS n FROM sso_applications`.execute(c.db)).rows[0]!.n);

function clientCredentials(clientId: string, secret: string, scope = "verify") {
  return fetch(`${server.url}/oidc/token`, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString("base64")}`,
    },
    body: new URLSearchParams({ grant_type: "client_credentials", scope }).toString(),
  });
}

const secretIn = (html: string) => /data-testid="client-secret">([^<]+)</.exec(html)?.[1];

/** Everything the portal keeps that could hold a secret, as text. */
async function everythingStored(): Promise<string> {
  const tables = ["sso_applications", "oidc_clients", "audit_log", "jobs", "dev_mailbox", "oidc_payloads"];
  const parts = await Promise.all(
    tables.map(async (t) => JSON.stringify((await sql`SELECT * FROM ${sql.table(t)}`.execute(c.db)).rows)),
  );
  return parts.join("\n");
}

/** Applies as the applicant and approves as the admin; returns the client id and the secret shown once. */
async function approvedClient(name: string) {
  const b = await signedIn(applicant);
  expect((await b.post("/sso/apply", { intent: "apply", ...good(name) })).status).toBe(303);
  const app = await c.db
    .selectFrom("sso_applications")
    .select("id")
    .where("system_name", "=", name)
    .executeTakeFirstOrThrow();
  const a = await signedIn(admin);
  const decided = await a.post(`/admin/sso-applications/${app.id}`, { decision: "approve", note: "" });
  expect(decided.status).toBe(303);
  const shown = await b.post("/sso/apply", { intent: "reveal", id: String(app.id) });
  expect(shown.status).toBe(200);
  const secret = secretIn(await shown.text())!;
  const { client_id } = await c.db
    .selectFrom("sso_applications")
    .select("client_id")
    .where("id", "=", app.id)
    .executeTakeFirstOrThrow();
  return { appId: app.id, clientId: client_id!, secret, applicantBrowser: b, adminBrowser: a };
}

async function codeFlow(b: Browser, clientId: string, secret: string) {
  const config = await oidc.discovery(
    new URL(`${server.url}/oidc`),
    clientId,
    undefined,
    oidc.ClientSecretBasic(secret),
    { execute: [oidc.allowInsecureRequests] },
  );
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope: "openid profile offline_access",
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  let step = await b.follow(await b.fetch(url.href));
  let promptedConsent = false;
  if (!(step instanceof URL)) {
    const page = await step.text();
    expect(page).not.toContain('name="password"');
    expect(page).toContain('value="consent"');
    promptedConsent = true;
    step = await b.follow(await b.post(step.url, { intent: "consent" }));
  }
  expect(step).toBeInstanceOf(URL);
  const tokens = await oidc.authorizationCodeGrant(config, step as URL, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { config, tokens, promptedConsent };
}

describe("integration applications (應用系統服務介接申請)", () => {
  it("refuses bad input with zh-TW messages, keeps the input, stores nothing, never a 5xx", async () => {
    const b = await signedIn(applicant);
    const long = "長".repeat(10_000);
    const cases: [Record<string, string | string[]>, string][] = [
      [{}, "請填寫系統名稱"],
      [{ ...good("壞網址一"), redirectUris: "http://example.com/cb" }, "須為 https 網址"],
      [{ ...good("壞網址二"), redirectUris: "javascript:alert(1)" }, "須為 https 網址"],
      [{ ...good("壞網址三"), redirectUris: "not a url" }, "不是有效的網址"],
      [{ ...good("壞網址四"), redirectUris: `${REDIRECT}#frag` }, "不可含 # 片段"],
      [{ ...good("壞網址五"), redirectUris: "https://user:pw@rp.example.test/cb" }, "不可含帳號密碼"],
      [{ ...good("壞網址六"), postLogoutRedirectUri: "ftp://rp.example.test/" }, "須為 https 網址"],
      [{ ...good("無回呼"), redirectUris: "" }, "使用者登入須填寫至少一個回呼網址"],
      [{ ...good("壞通知"), backchannelLogoutUri: "http://10.0.0.1/logout" }, "須為 https 網址"],
      [{ ...good("通知片段"), backchannelLogoutUri: `${BACKCHANNEL}#x` }, "不可含 # 片段"],
      [
        {
          ...good("通知無登入"),
          grantTypes: ["client_credentials"],
          scopes: ["verify"],
          redirectUris: "",
          initiateLoginUri: "",
        },
        "登出通知網址須搭配授權碼",
      ],
      [{ ...good(long) }, "系統名稱最多 100 個字"],
      [{ ...good("長理由"), reason: long }, "申請理由最多 1000 個字"],
      [{ ...good("長聯絡人"), contactName: long }, "聯絡人姓名最多 50 個字"],
      [{ ...good("長信箱"), contactEmail: `${long}@x.tw` }, "聯絡電子郵件最多 200 個字"],
      [{ ...good("長網址"), redirectUris: `https://rp.example.test/${long}` }, "每個不超過 500 字"],
      [{ ...good("長導回"), postLogoutRedirectUri: `https://rp.example.test/${long}` }, "網址不可超過 500 字"],
      [{ ...good("壞信箱"), contactEmail: "not-an-email" }, "電子郵件格式不正確"],
      [{ ...good("壞電話"), contactPhone: "call me" }, "聯絡電話格式不正確"],
      [{ ...good("壞機關"), ownerAgencyId: "999999999" }, "請選擇權責機關"],
      [{ ...good("壞授權"), grantTypes: ["password"] }, "授權方式不正確"],
      [{ ...good("無授權"), grantTypes: [] }, "請至少選擇一種授權方式"],
      [{ ...good("壞範圍"), scopes: ["openid", "admin"] }, "授權範圍不正確"],
      [{ ...good("缺openid"), scopes: ["profile"] }, "使用者登入須包含 openid"],
      [{ ...good("verify"), grantTypes: ["authorization_code"], scopes: ["openid", "verify"] }, "須搭配用戶端憑證"],
      [
        { ...good("更新"), grantTypes: ["refresh_token", "client_credentials"], scopes: ["verify"] },
        "更新權杖須搭配授權碼",
      ],
    ];
    const before = await applicationCount();
    for (const [form, message] of cases) {
      const res = await b.post("/sso/apply", { intent: "apply", ...form });
      expect(res.status, message).toBe(400);
      const html = await res.text();
      expect(html, message).toContain(message);
      if (typeof form.systemName === "string" && form.systemName.length < 100) expect(html).toContain(form.systemName);
    }
    // A body that is not a form at all.
    const junk = await b.fetch("/sso/apply", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: server.url },
      body: "{",
    });
    expect(junk.status).toBe(400);
    expect(await applicationCount()).toBe(before);
    // Two dozen page renders: more than the default 30 s on a busy shared machine.
  }, 180_000);

  it("lets only a system admin review: anyone else gets 404 and nothing changes", async () => {
    const b = await signedIn(applicant);
    expect((await b.post("/sso/apply", { intent: "apply", ...good("審核權限測試") })).status).toBe(303);
    const app = await c.db
      .selectFrom("sso_applications")
      .select(["id", "status"])
      .where("system_name", "=", "審核權限測試")
      .executeTakeFirstOrThrow();
    expect(await b.fetch("/sso/apply").then((r) => r.text())).toContain("審核權限測試");
    for (const who of [applicant, agencyAdmin]) {
      const x = await signedIn(who);
      for (const path of [
        "/admin/sso-applications",
        `/admin/sso-applications/${app.id}`,
        "/admin/sso-clients",
        "/admin/apps",
      ]) {
        expect((await x.fetch(path)).status, `${who.username} ${path}`).toBe(404);
      }
      const post = await x.post(`/admin/sso-applications/${app.id}`, { decision: "approve", note: "" });
      expect(post.status).toBe(404);
    }
    const after = await c.db
      .selectFrom("sso_applications")
      .select("status")
      .where("id", "=", app.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe("pending");
    expect(
      await c.db.selectFrom("oidc_clients").select("client_id").where("name", "=", "審核權限測試").execute(),
    ).toEqual([]);

    // The admin sees it; 駁回 needs a note, then mails the applicant and is audited.
    const a = await signedIn(admin);
    expect(await a.fetch("/admin/sso-applications").then((r) => r.text())).toContain("審核權限測試");
    const noNote = await a.post(`/admin/sso-applications/${app.id}`, { decision: "reject", note: "" });
    expect(noNote.status).toBe(400);
    expect(await noNote.text()).toContain("請填寫駁回原因");
    const longNote = await a.post(`/admin/sso-applications/${app.id}`, {
      decision: "reject",
      note: "長".repeat(10_000),
    });
    expect(longNote.status).toBe(400);
    expect(await longNote.text()).toContain("審核說明最多 500 個字");
    const rejected = await a.post(`/admin/sso-applications/${app.id}`, {
      decision: "reject",
      note: "請補充資安檢測報告",
    });
    expect(rejected.status).toBe(303);
    const again = await a.post(`/admin/sso-applications/${app.id}`, { decision: "approve", note: "" });
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("此申請已審核");
    const mine = await b.fetch("/sso/apply").then((r) => r.text());
    expect(mine).toContain("已駁回");
    expect(mine).toContain("請補充資安檢測報告");
    const audit = await c.db
      .selectFrom("audit_log")
      .select(["action", "actor_id"])
      .where("target_type", "=", "sso_application")
      .where("target_id", "=", String(app.id))
      .execute();
    expect(audit).toEqual([{ action: "sso_application.reject", actor_id: admin.id }]);
    const mail = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("idempotency_key", "=", `mail:sso-application:${app.id}:rejected`)
      .executeTakeFirstOrThrow();
    expect(mail.payload).toMatchObject({ to: `${applicant.username}@mail.tainan.gov.tw` });
  });

  it("approval registers a working client whose secret is shown once and stored only as a hash", async () => {
    const { appId, clientId, secret, applicantBrowser } = await approvedClient("公文系統");
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Works with the shown secret; a wrong one is refused.
    const ok = await clientCredentials(clientId, secret);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { access_token?: string }).access_token).toBeTruthy();
    const wrong = await clientCredentials(clientId, `${secret.slice(0, -1)}x`);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ error: "invalid_client" });
    // Shown once: a second look finds nothing, and someone else gets 404.
    const second = await applicantBrowser.post("/sso/apply", { intent: "reveal", id: String(appId) });
    expect(second.status).toBe(409);
    expect(await second.text()).toContain("已檢視過");
    const stranger = await signedIn(other);
    expect((await stranger.post("/sso/apply", { intent: "reveal", id: String(appId) })).status).toBe(404);
    // Never in plain text anywhere; the client row holds its sha256.
    expect(await everythingStored()).not.toContain(secret);
    const row = await c.db
      .selectFrom("oidc_clients")
      .selectAll()
      .where("client_id", "=", clientId)
      .executeTakeFirstOrThrow();
    expect(row.client_secret_hash).toMatch(/^sha256:/);
    expect(row.initiate_login_uri).toBe(INITIATE);
    expect(row.backchannel_logout_uri).toBe(BACKCHANNEL);
    const app = await c.db.selectFrom("sso_applications").selectAll().where("id", "=", appId).executeTakeFirstOrThrow();
    expect(app.secret_enc).toBeNull();
    expect(app.secret_viewed_at).not.toBeNull();
    const actions = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("target_type", "=", "sso_application")
      .where("target_id", "=", String(appId))
      .orderBy("id")
      .execute();
    expect(actions.map((a) => a.action)).toEqual(["sso_application.approve", "sso_application.secret_viewed"]);
    const mail = await c.db
      .selectFrom("jobs")
      .select("payload")
      .where("idempotency_key", "=", `mail:sso-application:${appId}:approved`)
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(mail.payload)).toContain(clientId);
  });
});

describe("client admin", () => {
  it("disabling refuses tokens and stops refresh tokens; enabling restores new tokens", async () => {
    const { clientId, secret, adminBrowser } = await approvedClient("差勤系統甲");
    const user = await signedIn(other);
    const { config, tokens } = await codeFlow(user, clientId, secret);
    expect(tokens.refresh_token).toBeTruthy();
    const disabled = await adminBrowser.post(`/admin/sso-clients/${clientId}`, { intent: "disable" });
    expect(disabled.status).toBe(303);
    expect((await clientCredentials(clientId, secret)).status).toBe(401);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toThrow();
    // A new sign-in is refused as well (unknown client to the provider).
    expect((await user.fetch(`/oidc/auth?client_id=${clientId}&response_type=code&scope=openid`)).status).toBe(400);
    expect((await adminBrowser.post(`/admin/sso-clients/${clientId}`, { intent: "enable" })).status).toBe(303);
    expect((await clientCredentials(clientId, secret)).status).toBe(200);
    // The old refresh token stays revoked.
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toThrow();
    const actions = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("target_type", "=", "oidc_client")
      .where("target_id", "=", clientId)
      .orderBy("id")
      .execute();
    expect(actions.map((a) => a.action)).toEqual(["oidc_client.disable", "oidc_client.enable"]);
  });

  it("rotating the secret refuses the old one and the new one works", async () => {
    const { clientId, secret, adminBrowser } = await approvedClient("差勤系統乙");
    // Issue 17: the page asks first, in a dialog rendered by the server, naming what happens;
    // its form posts to the page without ?confirm. The grant types read as zh-TW.
    const asked = await adminBrowser.fetch(`/admin/sso-clients/${clientId}?confirm=rotate`).then((r) => r.text());
    expect(asked).toMatch(/<dialog open="" class="confirm-dialog" aria-labelledby="confirm-rotate-title"/);
    expect(asked).toContain("舊密鑰將立即失效");
    expect(asked).toContain(`action="/admin/sso-clients/${clientId}"`);
    expect(asked).toContain("授權碼（使用者登入）");
    expect(asked).not.toContain(">authorization_code");
    expect(await adminBrowser.fetch(`/admin/sso-clients/${clientId}`).then((r) => r.text())).not.toContain("<dialog");
    const res = await adminBrowser.post(`/admin/sso-clients/${clientId}`, { intent: "rotate" });
    expect(res.status).toBe(200);
    const fresh = secretIn(await res.text())!;
    expect(fresh).toBeTruthy();
    expect(fresh).not.toBe(secret);
    expect((await clientCredentials(clientId, secret)).status).toBe(401);
    expect((await clientCredentials(clientId, fresh)).status).toBe(200);
    expect(await everythingStored()).not.toContain(fresh);
    // Shown once: the page no longer has it.
    expect(secretIn(await adminBrowser.fetch(`/admin/sso-clients/${clientId}`).then((r) => r.text()))).toBeUndefined();
  });

  it("sets a back-channel logout URI checked like a callback address, audited", async () => {
    const { clientId, adminBrowser } = await approvedClient("人事系統");
    const page = `/admin/sso-clients/${clientId}`;
    const bad = await adminBrowser.post(page, { intent: "backchannel", backchannelLogoutUri: "javascript:alert(1)" });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("須為 https 網址");
    const uri = "https://192.168.1.20/sso/logout";
    const ok = await adminBrowser.post(page, { intent: "backchannel", backchannelLogoutUri: uri });
    expect(ok.status).toBe(303);
    const row = await c.db
      .selectFrom("oidc_clients")
      .select("backchannel_logout_uri")
      .where("client_id", "=", clientId)
      .executeTakeFirstOrThrow();
    expect(row.backchannel_logout_uri).toBe(uri);
    const audit = await c.db
      .selectFrom("audit_log")
      .select("action")
      .where("target_id", "=", clientId)
      .where("action", "=", "oidc_client.backchannel_logout")
      .execute();
    expect(audit).toHaveLength(1);
    // The provider publishes it to the system with sid required.
    const meta = await clientMetadata(c.db, clientId);
    expect(meta).toMatchObject({ backchannel_logout_uri: uri, backchannel_logout_session_required: true });
  });

  it("lists a system's recent sign-ins, with its client id on the login record", async () => {
    const { clientId, secret, adminBrowser } = await approvedClient("差勤系統丙");
    const user = await signedIn(other);
    await codeFlow(user, clientId, secret);
    const rec = await c.db
      .selectFrom("login_records")
      .select(["method", "result", "account_id"])
      .where("client_id", "=", clientId)
      .execute();
    expect(rec).toEqual([{ method: "sso", result: "success", account_id: other.id }]);
    const page = await adminBrowser.fetch(`/admin/sso-clients/${clientId}`).then((r) => r.text());
    expect(page).toContain("最近登入紀錄");
    expect(page).toContain(other.username);
    expect(page).toContain("單一登入");
    // Bad transfer settings: a message, nothing saved.
    const bad = await adminBrowser.post(`/admin/sso-clients/${clientId}`, {
      intent: "transfer",
      initiateLoginUri: "http://evil.example/login",
    });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain("須為 https 網址");
    const row = await c.db
      .selectFrom("oidc_clients")
      .select("initiate_login_uri")
      .where("client_id", "=", clientId)
      .executeTakeFirstOrThrow();
    expect(row.initiate_login_uri).toBe(INITIATE);
    expect((await adminBrowser.fetch("/admin/sso-clients/not-a-client-id")).status).toBe(404);
  });
});

describe("app list and transfer sign-in (IDN-8)", () => {
  it("opens a listed system through its initiate-login URI and signs the user in without a prompt", async () => {
    const { clientId, secret, adminBrowser } = await approvedClient("差勤系統丁");
    const pre = await adminBrowser.post(`/admin/sso-clients/${clientId}`, {
      intent: "transfer",
      initiateLoginUri: INITIATE,
      preApproved: "on",
    });
    expect(pre.status).toBe(303);
    const added = await adminBrowser.post("/admin/apps", {
      intent: "add",
      kind: "system",
      clientId,
      label: "差勤系統",
      icon: "差",
      sort: "10",
      visible: "on",
    });
    expect(added.status).toBe(303);
    const link = await adminBrowser.post("/admin/apps", {
      intent: "add",
      kind: "link",
      url: "https://isms.example.test/check",
      label: "資安自我檢查表",
      sort: "20",
      visible: "on",
    });
    expect(link.status).toBe(303);
    const entries = await c.db.selectFrom("app_list_entries").selectAll().orderBy("id").execute();
    const sys = entries.find((e) => e.client_id === clientId)!;
    const plain = entries.find((e) => e.label === "資安自我檢查表")!;

    const user = await signedIn(other);
    const list = await user.fetch("/apps").then((r) => r.text());
    expect(list).toContain("差勤系統");
    expect(list).toContain("資安自我檢查表");
    expect(await user.fetch("/").then((r) => r.text())).toContain(`/apps/${sys.id}/open`);
    const open = await user.fetch(`/apps/${sys.id}/open`);
    expect(open.status).toBe(302);
    const launch = new URL(open.headers.get("location")!);
    expect(launch.origin + launch.pathname).toBe(INITIATE);
    expect(launch.searchParams.get("iss")).toBe(`${server.url}/oidc`);
    expect(launch.searchParams.get("login_hint")).toBe(other.username);
    expect((await user.fetch(`/apps/${plain.id}/open`)).headers.get("location")).toBe(
      "https://isms.example.test/check",
    );
    // The system then starts a sign-in: no password, and no consent (pre-approved).
    const { tokens, promptedConsent } = await codeFlow(user, clientId, secret);
    expect(promptedConsent).toBe(false);
    expect(tokens.id_token).toBeTruthy();

    // Hidden or disabled: gone from the list, and opening it is a 404.
    await adminBrowser.post(`/admin/sso-clients/${clientId}`, { intent: "disable" });
    expect(await user.fetch("/apps").then((r) => r.text())).not.toContain(`/apps/${sys.id}/open`);
    expect((await user.fetch(`/apps/${sys.id}/open`)).status).toBe(404);
    expect((await user.fetch("/apps/abc/open")).status).toBe(404);
  });

  it("refuses bad app-list input with zh-TW messages and stores nothing", async () => {
    const a = await signedIn(admin);
    const before = await c.db.selectFrom("app_list_entries").select("id").execute();
    const cases: [Record<string, string>, string][] = [
      [{ kind: "link", url: "javascript:alert(1)", label: "壞連結" }, "須為 https 網址"],
      [{ kind: "link", url: "", label: "無連結" }, "請輸入連結網址"],
      [{ kind: "link", url: "https://x.example.test/", label: "長".repeat(10_000) }, "名稱最多 30 個字"],
      [{ kind: "link", url: "https://x.example.test/", label: "排序", sort: "1e9" }, "排序請填寫"],
      [{ kind: "link", url: "https://x.example.test/", label: "圖示", icon: "太長了" }, "圖示文字最多 2 個字"],
      [{ kind: "system", clientId: "no-such-client", label: "無系統" }, "請選擇系統"],
      [{ kind: "other", label: "怪類型" }, "請選擇類型"],
    ];
    for (const [form, message] of cases) {
      const res = await a.post("/admin/apps", { intent: "add", ...form });
      expect(res.status, message).toBe(400);
      expect(await res.text(), message).toContain(message);
    }
    expect(await c.db.selectFrom("app_list_entries").select("id").execute()).toEqual(before);
  });
});
