import { generateSync } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { freePort, startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, signInAs } from "../helpers/factory.js";
import * as oidc from "openid-client";
import { registerClient } from "../../bff/oidc/clients.js";
import { HandBrowser } from "../helpers/oidc-browser.js";
import { softAuthenticator } from "../helpers/soft-authenticator.js";

/**
 * Issue 17 item 7 (ADR 0034) over HTTP: recovery codes shown once (no-store) and accepted on
 * /login/totp; a passkey answer posted to /login; bad answers are a message, never a 5xx.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
let unitId: number;
let rp: { id: string; origin: string };

beforeAll(async () => {
  const port = await freePort();
  rp = { id: "127.0.0.1", origin: `http://127.0.0.1:${port}` };
  c = await testContainer({ env: { PUBLIC_ORIGIN: rp.origin } });
  server = await startTestServer(c, port);
  unitId = (await makeUnit(c, (await makeAgency(c)).id)).id;
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const cookieOf = (res: Response, name: string) =>
  res.headers
    .getSetCookie()
    .map((h) => h.split(";")[0]!)
    .find((kv) => kv.startsWith(`${name}=`) && kv.length > name.length + 1);

const post = (path: string, body: Record<string, string>, cookie = "") =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      Origin: server.url,
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: new URLSearchParams(body).toString(),
  });

async function signedIn() {
  const account = await makeAccount(c, { unitId });
  const login = await post("/login", { username: account.username, password: account.password });
  return { account, session: cookieOf(login, "portal_session")! };
}

describe("recovery codes and passkeys over HTTP", () => {
  it("shows the codes once with no-store, counts them, and takes one on /login/totp", async () => {
    const { account, session } = await signedIn();
    const { actor } = await signInAs(c, account);
    const { secret } = await c.services.auth.totp.startEnrolment(actor);
    const code = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) });
    const shown = await post("/me/security", { intent: "totp-confirm", code }, session);
    expect(shown.status).toBe(200);
    expect(shown.headers.get("cache-control")).toContain("no-store");
    const codes = [...(await shown.text()).matchAll(/<code>([2-9a-z]{5}-[2-9a-z]{5})<\/code>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    const page = await (await fetch(`${server.url}/me/security`, { headers: { Cookie: session } })).text();
    expect(page).toMatch(/尚未使用的復原碼：.*10.*組/);
    expect(page).not.toContain(codes[0]!);

    const first = await post("/login", { username: account.username, password: account.password });
    const challenge = cookieOf(first, "portal_signin")!;
    const done = await post("/login/totp", { code: codes[3]!, redirectTo: "/" }, challenge);
    expect(done.status).toBe(302);
    expect(cookieOf(done, "portal_session")).toBeDefined();
  });

  it("signs in with a passkey answer posted to /login; refusals are messages", async () => {
    const { account } = await signedIn();
    const key = softAuthenticator(rp);
    const { actor } = await signInAs(c, account);
    const regOptions = await c.services.auth.passkeys.registrationOptions(actor);
    await c.services.auth.passkeys.register(actor, {
      name: "鑰匙",
      response: JSON.stringify(key.register(regOptions)),
    });

    const options = await post("/login/passkey-options", {});
    expect(options.status).toBe(200);
    const { options: json } = (await options.json()) as { options: { challenge: string; rpId: string } };
    expect(json.rpId).toBe("127.0.0.1");
    const answer = JSON.stringify(key.authenticate(json.challenge));
    const ok = await post("/login", { intent: "passkey", response: answer, redirectTo: "/me" });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/me");
    expect(cookieOf(ok, "portal_session")).toBeDefined();

    for (const response of [answer, "{", "x".repeat(20_000), ""]) {
      const refused = await post("/login", { intent: "passkey", response, redirectTo: "/" });
      expect(refused.status).toBeLessThan(500);
      expect(refused.status).toBeGreaterThanOrEqual(400);
      expect(cookieOf(refused, "portal_session")).toBeUndefined();
    }
    // Registration options need a session (a redirect to /login otherwise).
    expect((await post("/me/security/passkey-options", {})).status).toBeGreaterThanOrEqual(300);
  });

  it("signs in to another system with a passkey on the single sign-on page", async () => {
    const { account } = await signedIn();
    const key = softAuthenticator(rp);
    const { actor } = await signInAs(c, account);
    const regOptions = await c.services.auth.passkeys.registrationOptions(actor);
    await c.services.auth.passkeys.register(actor, {
      name: "鑰匙",
      response: JSON.stringify(key.register(regOptions)),
    });
    const client = await registerClient(c.db, { name: "差勤系統", redirectUris: ["https://rp.example.test/cb"] });
    await c.db
      .updateTable("oidc_clients")
      .set({ pre_approved: true })
      .where("client_id", "=", client.clientId)
      .execute();
    const config = await oidc.discovery(
      new URL(`${server.url}/oidc`),
      client.clientId,
      undefined,
      oidc.ClientSecretBasic(client.clientSecret!),
      { execute: [oidc.allowInsecureRequests] },
    );
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: "https://rp.example.test/cb",
      scope: "openid",
      state: "s",
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: "S256",
    });
    const b = new HandBrowser(server.url);
    const page = await b.follow(await b.fetch(url.href));
    if (page instanceof URL) throw new Error("expected the sign-in page");
    expect(page.url).toContain("/sso/interaction/");
    const { options } = (await (await b.post("/login/passkey-options", {})).json()) as {
      options: { challenge: string };
    };
    const back = await b.follow(
      await b.post(page.url, { intent: "passkey", response: JSON.stringify(key.authenticate(options.challenge)) }),
    );
    expect(back).toBeInstanceOf(URL);
    expect((back as URL).searchParams.get("code")).toBeTruthy();
    const record = await c.db
      .selectFrom("login_records")
      .select(["method", "result", "client_id"])
      .where("account_id", "=", account.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(record).toEqual({ method: "passkey", result: "success", client_id: client.clientId });
  });
});
