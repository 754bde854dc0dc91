import { sql } from "kysely";
import { createPublicKey, type JsonWebKey as NodeJwk, verify as verifySignature } from "node:crypto";
import * as oidc from "openid-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Container, createContainer } from "../../bff/container.js";
import { rotateSigningKeys } from "../../bff/oidc/keys.js";
import { RETIRED_KEY_KEEP_SECONDS } from "../../bff/oidc/provider.js";
import { createVerifyApi } from "../../bff/oidc/verify-api.js";
import { registerClient } from "../../bff/oidc/clients.js";
import { freePort, silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, meta, signInAs, type MadeAccount } from "../helpers/factory.js";
import { HandBrowser } from "../helpers/oidc-browser.js";

let c: Container;
let server: { url: string; close(): Promise<void> };
let issuer: string;
let user: MadeAccount, disabled: MadeAccount;
let web: { clientId: string; clientSecret?: string };
let service: { clientId: string; clientSecret?: string };
const REDIRECT = "https://rp.example.test/cb";

beforeAll(async () => {
  const port = await freePort();
  c = await testContainer({ env: { PUBLIC_ORIGIN: `http://127.0.0.1:${port}` } });
  server = await startTestServer(c, port);
  issuer = `${server.url}/oidc`;
  const agency = await makeAgency(c, "研考會");
  const unit = await makeUnit(c, agency.id, "智慧發展中心");
  user = await makeAccount(c, { unitId: unit.id, name: "王小明" });
  await c.db.updateTable("accounts").set({ needs_official_mail: true }).where("id", "=", user.id).execute();
  disabled = await makeAccount(c, { unitId: unit.id, status: "disabled" });
  web = await registerClient(c.db, {
    name: "差勤系統",
    ownerAgencyId: agency.id,
    redirectUris: [REDIRECT],
    postLogoutRedirectUris: ["https://rp.example.test/bye"],
    grantTypes: ["authorization_code", "refresh_token"],
    scopes: ["openid", "offline_access", "profile", "email", "agency", "role"],
  });
  service = await registerClient(c.db, {
    name: "公文系統",
    grantTypes: ["client_credentials"],
    scopes: ["verify"],
  });
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const discover = (client: { clientId: string; clientSecret?: string }) =>
  oidc.discovery(new URL(issuer), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret!), {
    execute: [oidc.allowInsecureRequests],
  });

/** A browser by hand: a cookie jar (name → value) and manual redirects. */
class Browser extends HandBrowser {
  constructor() {
    super(server.url);
  }
}

async function startAuthorization(config: oidc.Configuration, scope: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT,
    scope,
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
  });
  return { url: url.href, verifier, state };
}

/** Follows redirects on our own server until one leaves it (the callback) or a page answers. */
async function follow(b: Browser, res: Response): Promise<Response | URL> {
  while (res.status >= 300 && res.status < 400) {
    const to = new URL(res.headers.get("location")!, server.url);
    if (to.origin !== server.url) return to;
    res = await b.fetch(to.href);
  }
  return res;
}

let consentSeen = "";
let firstIdToken = "";
let interactionCsp = "";
async function signInAndConsent(b: Browser, authUrl: string, a: MadeAccount, consent = true) {
  let step = await follow(b, await b.fetch(authUrl));
  if (step instanceof URL) return step;
  const interaction = step.url;
  interactionCsp = step.headers.get("content-security-policy") ?? "";
  const page = await step.text();
  if (page.includes('name="password"')) {
    expect(page).toContain("差勤系統");
    step = await follow(b, await b.post(interaction, { intent: "login", username: a.username, password: a.password }));
    if (step instanceof URL) return step;
  }
  const consentPage = await step.text();
  consentSeen = consentPage;
  if (step.status !== 200 || !consentPage.includes('value="consent"')) return step;
  expect(consentPage).toContain("差勤系統");
  return follow(b, await b.post(step.url, { intent: consent ? "consent" : "deny" }));
}

describe("OpenID Connect provider", () => {
  it("publishes discovery and a JWKS with RS256 and ES256 keys, and no HS*", async () => {
    const config = await discover(web);
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(issuer);
    expect(meta.id_token_signing_alg_values_supported).toEqual(["RS256", "ES256"]);
    expect(meta.token_endpoint_auth_methods_supported).not.toContain("client_secret_jwt");
    const jwks = (await (await fetch(meta.jwks_uri!)).json()) as { keys: Record<string, string>[] };
    expect(jwks.keys.map((k) => k.alg).sort()).toEqual(["ES256", "RS256"]);
    for (const k of jwks.keys) expect(k.d).toBeUndefined();
    const stored = await c.db.selectFrom("oidc_signing_keys").selectAll().execute();
    expect(stored).toHaveLength(2);
    for (const k of stored) expect(k.private_enc).not.toContain('"d"');
  });

  it("runs the authorization code flow with PKCE through the portal's sign-in and consent", async () => {
    const config = await discover(web);
    const b = new Browser();
    const { url, verifier, state } = await startAuthorization(
      config,
      "openid profile email agency role offline_access",
    );
    const callback = await signInAndConsent(b, url, user);
    expect(callback).toBeInstanceOf(URL);
    expect(consentSeen).toContain("電子郵件");
    // The form's answer redirects to the system: its origin (only) joins form-action.
    expect(interactionCsp).toMatch(/form-action 'self' https:\/\/rp\.example\.test(;|$)/);
    const login = await fetch(`${server.url}/login`);
    expect(login.headers.get("content-security-policy")).toMatch(/form-action 'self'(;|$)/);
    const tokens = await oidc.authorizationCodeGrant(config, callback as URL, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims()!;
    firstIdToken = tokens.id_token!;
    const account = await c.db
      .selectFrom("accounts")
      .select(["public_id", "last_login_at"])
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(claims.sub).toBe(account.public_id);
    expect(account.last_login_at).not.toBeNull();
    const info = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
    expect(info).toMatchObject({
      sub: account.public_id,
      name: "王小明",
      preferred_username: user.username,
      email: `${user.username}@mail.tainan.gov.tw`,
      agency: "研考會",
      unit: "智慧發展中心",
      role: "user",
    });
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", user.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ method: "sso", result: "success" });

    // Refresh, introspection and revocation.
    expect(tokens.refresh_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    const active = await oidc.tokenIntrospection(config, refreshed.access_token);
    expect(active).toMatchObject({ active: true, sub: account.public_id, client_id: web.clientId });
    await oidc.tokenRevocation(config, refreshed.access_token);
    expect((await oidc.tokenIntrospection(config, refreshed.access_token)).active).toBe(false);

    // Consent is remembered: a second sign-in from the portal session goes straight back.
    const again = await startAuthorization(config, "openid profile");
    const second = await follow(b, await b.fetch(again.url));
    expect(second).toBeInstanceOf(URL);
    expect((second as URL).searchParams.get("code")).toBeTruthy();
  });

  it("releases only the claims of the scopes asked for", async () => {
    const config = await discover(web);
    const b = new Browser();
    const { url, verifier, state } = await startAuthorization(config, "openid email");
    const callback = await signInAndConsent(b, url, user);
    const tokens = await oidc.authorizationCodeGrant(config, callback as URL, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const info = await oidc.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
    expect(Object.keys(info).sort()).toEqual(["email", "sub"]);
  });

  it("refuses the code without the right PKCE verifier", async () => {
    const config = await discover(web);
    const b = new Browser();
    const { url, state } = await startAuthorization(config, "openid");
    const callback = await signInAndConsent(b, url, user);
    await expect(
      oidc.authorizationCodeGrant(config, callback as URL, {
        pkceCodeVerifier: oidc.randomPKCECodeVerifier(),
        expectedState: state,
      }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("a disabled account cannot sign in, and its refresh token stops working", async () => {
    const config = await discover(web);
    const b = new Browser();
    const { url } = await startAuthorization(config, "openid");
    const step = await follow(b, await b.fetch(url));
    const res = await b.post((step as Response).url, {
      intent: "login",
      username: disabled.username,
      password: disabled.password,
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("帳號已停用");
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", disabled.id)
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ method: "sso", result: "disabled" });

    // A signed-in user with a refresh token, then disabled.
    const unitId = user.unitId;
    const soon = await makeAccount(c, { unitId });
    const b2 = new Browser();
    const flow = await startAuthorization(config, "openid offline_access");
    const callback = await signInAndConsent(b2, flow.url, soon);
    const tokens = await oidc.authorizationCodeGrant(config, callback as URL, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", soon.id).execute();
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("disabling an account through the admin screen revokes its grants and tokens", async () => {
    const config = await discover(web);
    const admin = await makeAccount(c, { unitId: user.unitId, role: "sys_admin" });
    const leaving = await makeAccount(c, { unitId: user.unitId });
    const flow = await startAuthorization(config, "openid profile");
    const callback = await signInAndConsent(new Browser(), flow.url, leaving);
    const tokens = await oidc.authorizationCodeGrant(config, callback as URL, {
      pkceCodeVerifier: flow.verifier,
      expectedState: flow.state,
    });
    const { public_id } = await c.db
      .selectFrom("accounts")
      .select("public_id")
      .where("id", "=", leaving.id)
      .executeTakeFirstOrThrow();
    const held = () =>
      c.db
        .selectFrom("oidc_payloads")
        .select("model")
        .where(sql<string>`payload->>'accountId'`, "=", public_id)
        .execute();
    expect((await held()).map((r) => r.model)).toEqual(expect.arrayContaining(["Grant", "RefreshToken", "Session"]));
    const { actor } = await signInAs(c, admin);
    await c.services.accounts.setStatus(actor, leaving.id, { status: "disabled", reason: "離職" });
    expect(await held()).toEqual([]);
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(config, tokens.refresh_token!)).rejects.toMatchObject({
      error: "invalid_grant",
    });
  });

  it("issues client-credentials tokens to servers", async () => {
    const config = await discover(service);
    const tokens = await oidc.clientCredentialsGrant(config, { scope: "verify" });
    expect(tokens.access_token).toBeTruthy();
    const info = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(info).toMatchObject({ active: true, client_id: service.clientId, scope: "verify" });
  });

  it("refuses a wrong client secret and keeps only hashes", async () => {
    const wrong = await discover({ clientId: service.clientId, clientSecret: "not-the-secret" });
    await expect(oidc.clientCredentialsGrant(wrong, { scope: "verify" })).rejects.toMatchObject({ status: 401 });
    const rows = await c.db.selectFrom("oidc_clients").selectAll().execute();
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(web.clientSecret);
    expect(dump).not.toContain(service.clientSecret);
    for (const r of rows) expect(r.client_secret_hash).toMatch(/^sha256:/);
  });

  it("answers an unknown client with an error page, not a 5xx", async () => {
    const res = await fetch(
      `${issuer}/auth?client_id=nobody-here&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(REDIRECT)}`,
      { redirect: "manual" },
    );
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain("<script");
  });

  it("refuses a replayed code", async () => {
    const config = await discover(web);
    const b = new Browser();
    const { url, verifier, state } = await startAuthorization(config, "openid");
    const callback = (await signInAndConsent(b, url, user)) as URL;
    await oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
    await expect(
      oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state }),
    ).rejects.toMatchObject({ error: "invalid_grant" });
  });

  it("a locked account cannot complete a sign-in", async () => {
    const locked = await makeAccount(c, { unitId: user.unitId });
    await c.db
      .updateTable("accounts")
      .set({ login_permission: "locked", locked_at: null })
      .where("id", "=", locked.id)
      .execute();
    const config = await discover(web);
    const b = new Browser();
    const { url } = await startAuthorization(config, "openid");
    const step = (await follow(b, await b.fetch(url))) as Response;
    const res = await b.post(step.url, { intent: "login", username: locked.username, password: locked.password });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("鎖定");
  });

  it("signs out through RP-initiated logout", async () => {
    const config = await discover(web);
    const b = new Browser();
    const { url, verifier, state } = await startAuthorization(config, "openid");
    const callback = (await signInAndConsent(b, url, user)) as URL;
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const end = oidc.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token!,
      post_logout_redirect_uri: "https://rp.example.test/bye",
    });
    const page = await b.fetch(end.href);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("form-action 'self' https://rp.example.test");
    const body = await page.text();
    expect(body).not.toMatch(/<script|<style/);
    const action = /action="([^"]+)"/.exec(body)![1]!;
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(body)![1]!;
    const done = await b.post(new URL(action, server.url).href, { xsrf, logout: "yes" });
    expect(done.status).toBe(303);
    expect(done.headers.get("location")).toBe("https://rp.example.test/bye");
  });

  it("keeps retired signing keys in the JWKS after a rotation, so earlier tokens still verify", async () => {
    expect(firstIdToken).toBeTruthy();
    const [header, payload, signature] = firstIdToken.split(".") as [string, string, string];
    const { kid } = JSON.parse(Buffer.from(header, "base64url").toString()) as { kid: string };
    // No publish delay here (the schedule has its own test, tests/integration/oidc-key-rotation.test.ts).
    const { kids: newKids } = await rotateSigningKeys(c.db, c.dataKey, c.clock.now(), {
      publishDelaySeconds: 0,
      retiredKeepSeconds: RETIRED_KEY_KEEP_SECONDS,
    });
    // Another app server starting after the rotation on the same database.
    const c2 = await createContainer(c.config, {
      db: { db: c.db, kind: c.dbKind, close: async () => undefined },
      clock: c.clock,
      logger: silentLogger,
    });
    const server2 = await startTestServer(c2);
    try {
      const jwks = (await (await fetch(`${server2.url}/oidc/jwks`)).json()) as {
        keys: NodeJwk[];
      };
      const kids = jwks.keys.map((k) => k.kid as string);
      expect(kids).toEqual(expect.arrayContaining([kid, ...newKids]));
      const jwk = jwks.keys.find((k) => k.kid === kid)!;
      const ok = verifySignature(
        "sha256",
        Buffer.from(`${header}.${payload}`),
        { key: createPublicKey({ key: jwk, format: "jwk" }), dsaEncoding: "ieee-p1363" },
        Buffer.from(signature, "base64url"),
      );
      expect(ok).toBe(true);
      // The new server signs with the new key.
      const active = await c.db.selectFrom("oidc_signing_keys").select("kid").where("retired_at", "is", null).execute();
      expect(active.map((k) => k.kid).sort()).toEqual([...newKids].sort());
    } finally {
      await server2.close();
      await c2.worker.stop();
    }
  });

  it("housekeeping deletes expired provider state", async () => {
    await c.db
      .insertInto("oidc_payloads")
      .values({ id: "old", model: "AccessToken", payload: "{}", expires_at: new Date(c.clock.now().getTime() - 1000) })
      .execute();
    const { purgeExpiredPayloads } = await import("../../bff/oidc/adapter.js");
    expect(await purgeExpiredPayloads(c.db, c.clock.now())).toBeGreaterThanOrEqual(1);
    expect(await c.db.selectFrom("oidc_payloads").select("id").where("id", "=", "old").execute()).toEqual([]);
  });
});

describe("account verification API (IDN-7)", () => {
  const verify = (token: string | undefined, body: string, type = "application/json") =>
    fetch(`${server.url}/api/sso/verify`, {
      method: "POST",
      headers: { "Content-Type": type, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body,
    });
  const serviceToken = async () =>
    (await oidc.clientCredentialsGrant(await discover(service), { scope: "verify" })).access_token;

  it("answers valid with a basic profile, and records the check as an API sign-in", async () => {
    const res = await verify(
      await serviceToken(),
      JSON.stringify({ username: user.username, password: user.password }),
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { valid: boolean; profile: Record<string, string> };
    expect(body.valid).toBe(true);
    expect(body.profile).toMatchObject({ name: "王小明", preferred_username: user.username, agency: "研考會" });
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result"])
      .where("account_id", "=", user.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ method: "api", result: "success" });
  });

  it("refuses without a token, with a token lacking the scope, and malformed JSON, never a 5xx", async () => {
    expect((await verify(undefined, "{}")).status).toBe(401);
    expect((await verify("not-a-real-token-at-all", "{}")).status).toBe(401);
    const token = await serviceToken();
    const malformed = await verify(token, "{not json");
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: "invalid_request" });
    expect((await verify(token, JSON.stringify({ username: 1 }))).status).toBe(400);
  });

  it("counts a system's wrong passwords apart: throttled for that system, never a portal lock (ADR 0025)", async () => {
    const target = await makeAccount(c, { unitId: user.unitId });
    const token = await serviceToken();
    const messages: string[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await verify(token, JSON.stringify({ username: target.username, password: "wrong-Passw0rd!" }));
      expect(res.status).toBe(200);
      const body = (await res.json()) as { valid: boolean; message: string };
      expect(body.valid).toBe(false);
      messages.push(body.message);
    }
    // After the free failures the system's own key for this username makes it wait.
    expect(messages.at(-1)).toContain("登入嘗試次數過多");
    const row = await c.db
      .selectFrom("accounts")
      .select(["login_permission", "failed_login_count"])
      .where("id", "=", target.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ login_permission: "normal", failed_login_count: 0 });
    const methods = await c.db
      .selectFrom("login_records")
      .select("method")
      .distinct()
      .where("account_id", "=", target.id)
      .execute();
    expect(methods).toEqual([{ method: "api" }]);
    // The person still signs in to the portal at once.
    const session = await c.services.auth.signIn({ username: target.username, password: target.password }, meta);
    expect(session.accountId).toBe(target.id);
  });

  it("limits each system's checks per minute", async () => {
    const limited = createVerifyApi({
      db: c.db,
      clock: c.clock,
      auth: c.services.auth,
      oidc: c.services.oidc,
      perMinute: 2,
    });
    // The window is shared by every limiter (in PostgreSQL): start this client's afresh.
    await c.db.deleteFrom("sso_rate_windows").execute();
    const bearer = `Bearer ${await serviceToken()}`;
    const body = { username: user.username, password: "wrong-Passw0rd!" };
    const meta = { ip: "203.0.113.9", userAgent: "vitest" };
    expect((await limited(bearer, body, meta)).status).toBe(200);
    expect((await limited(bearer, body, meta)).status).toBe(200);
    const third = await limited(bearer, body, meta);
    expect(third.status).toBe(429);
    expect(Number(third.headers?.["Retry-After"])).toBeGreaterThanOrEqual(1);
    expect(Number(third.headers?.["Retry-After"])).toBeLessThanOrEqual(60);
    await c.db.updateTable("accounts").set({ failed_login_count: 0 }).where("id", "=", user.id).execute();
  });
});
