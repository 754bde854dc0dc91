import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { withoutUpgrade } from "../../bff/http/app.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit } from "../helpers/factory.js";
import { makeCard, makeIssuingCa, makeRootCa, signWithCard, type TestCard, writeBundle } from "../helpers/test-pki.js";

/** IDN-4 over HTTP: the sign-in page's CSP, its form post, and what hostile posts get. */
const NOW = new Date("2026-11-30T01:00:00Z");
const SIGNER = "http://127.0.0.1:61161";
let c: Container;
let server: { url: string; close(): Promise<void> };
let card: TestCard;

beforeAll(async () => {
  const root = await makeRootCa("CN=HTTP Test Root, C=TW", NOW);
  const issuing = await makeIssuingCa(root, "CN=HTTP Test Issuing CA, C=TW", NOW);
  c = await testContainer({
    clock: fixedClock(NOW),
    env: { CERT_CA_BUNDLE: writeBundle(root, issuing), CERT_SIGNER_URL: SIGNER },
  });
  server = await startTestServer(c);
  const unit = await makeUnit(c, (await makeAgency(c)).id);
  const account = await makeAccount(c, { unitId: unit.id });
  card = await makeCard(issuing, { cardNo: "TP03000000000042", around: NOW });
  await c.db.updateTable("accounts").set({ citizen_card_no: card.cardNo }).where("id", "=", account.id).execute();
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const connectSrc = (res: Response) => /connect-src ([^;]*)/.exec(res.headers.get("content-security-policy") ?? "")?.[1];

async function challenge(): Promise<{ id: string; tbs: string }> {
  const res = await fetch(`${server.url}/login/certificate?_data=routes/login_.certificate`);
  const data = (await res.json()) as { challenge: { id: string; tbs: string } };
  return data.challenge;
}

function post(body: string | URLSearchParams, path = "/login/certificate") {
  return fetch(`${server.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: { Origin: server.url, "Content-Type": "application/x-www-form-urlencoded" },
    body: body.toString(),
  });
}

describe("certificate sign-in over HTTP (IDN-4)", () => {
  it("lets only the card pages connect to the signing component, and only to its origin", async () => {
    const page = await fetch(`${server.url}/login/certificate`);
    expect(page.status).toBe(200);
    expect(connectSrc(page)).toBe(`'self' ${SIGNER}`);
    expect(await page.text()).toContain("自然人憑證登入");
    // Its popup protocol needs the component's window to keep its opener; other pages cut it.
    expect(page.headers.get("cross-origin-opener-policy")).toBe("same-origin-allow-popups");
    const login = await fetch(`${server.url}/login`);
    expect(connectSrc(login)).toBe("'self'");
    expect(login.headers.get("cross-origin-opener-policy")).toBe("same-origin");
    expect(connectSrc(await fetch(`${server.url}/`, { redirect: "manual" }))).toBe("'self'");
  });

  it("drops upgrade-insecure-requests (production's) on the card pages: the component is plain http", () => {
    expect(
      withoutUpgrade("default-src 'self';connect-src 'self' http://localhost:61161;upgrade-insecure-requests"),
    ).toBe("default-src 'self';connect-src 'self' http://localhost:61161");
    expect(withoutUpgrade("default-src 'self';upgrade-insecure-requests;frame-ancestors 'none'")).toBe(
      "default-src 'self';frame-ancestors 'none'",
    );
  });

  it("signs in from the form post and sets the session cookie", async () => {
    const ch = await challenge();
    const res = await post(
      new URLSearchParams({
        challengeId: ch.id,
        signature: await signWithCard(card, ch.tbs),
        certificate: card.certB64,
        redirectTo: "/me",
      }),
    );
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/me");
    expect(res.headers.get("set-cookie")).toMatch(/portal_session=/);
    // Signed in, 我的 › 自然人憑證 shows the card masked, and its CSP reaches the component too.
    const cookie = res.headers.get("set-cookie")!.split(";")[0]!;
    const me = await fetch(`${server.url}/me/certificate`, { headers: { cookie } });
    expect(me.status).toBe(200);
    expect(connectSrc(me)).toBe(`'self' ${SIGNER}`);
    expect(await me.text()).toContain("已綁定卡號 ************0042");
  });

  it("answers malformed, missing and oversized input with a zh-TW message, never a 5xx", async () => {
    const ch = await challenge();
    const sig = await signWithCard(card, ch.tbs);
    const cases: [string | URLSearchParams, string][] = [
      ["", "請先插入自然人憑證並輸入 PIN 碼完成簽章。"],
      [new URLSearchParams({ challengeId: ch.id }), "請先插入自然人憑證並輸入 PIN 碼完成簽章。"],
      [
        new URLSearchParams({ challengeId: ch.id, signature: "@@@", certificate: card.certB64 }),
        "憑證或簽章資料格式不正確，請重新操作。",
      ],
      [
        new URLSearchParams({ challengeId: ch.id, signature: sig, certificate: "-----BEGIN CERTIFICATE-----x" }),
        "憑證或簽章資料格式不正確，請重新操作。",
      ],
      [
        new URLSearchParams({ challengeId: ch.id, signature: sig, certificate: "A".repeat(900 * 1024) }),
        "憑證或簽章資料格式不正確，請重新操作。",
      ],
      [
        new URLSearchParams({ challengeId: "x".repeat(200), signature: sig, certificate: card.certB64 }),
        "此次登入請求已使用或已逾時，請重新操作。",
      ],
      ["%%%&&&=%E0%A4%A", "請先插入自然人憑證並輸入 PIN 碼完成簽章。"],
    ];
    for (const [body, message] of cases) {
      const res = await post(body);
      expect(res.status, String(body).slice(0, 60)).toBe(400);
      expect(await res.text()).toContain(message);
    }
    // Over the 1 MB default body cap (bff/http/body-limits.ts): a zh-TW 413 before it is read.
    const huge = await post(
      new URLSearchParams({ challengeId: ch.id, signature: sig, certificate: "A".repeat(1024 * 1024) }),
    );
    expect(huge.status).toBe(413);
    expect(await huge.text()).toContain("送出的資料太大");
    // A JSON body instead of a form reads as an empty form.
    const json = await fetch(`${server.url}/login/certificate`, {
      method: "POST",
      headers: { Origin: server.url, "Content-Type": "application/json" },
      body: JSON.stringify({ challengeId: ch.id }),
    });
    expect(json.status).toBe(400);
  });

  it("refuses a post from another origin (CSRF) before it reaches the sign-in", async () => {
    const res = await fetch(`${server.url}/login/certificate`, {
      method: "POST",
      headers: { Origin: "https://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
      body: "challengeId=x",
    });
    expect(res.status).toBe(403);
  });
});
