import { generateSync } from "otplib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount, signInAs } from "../helpers/factory.js";

/**
 * The sign-in method pages over HTTP: the two-step sign-in with its cookie, and hostile or
 * malformed input on every form answered with a message (4xx or a page), never a 5xx.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
let unitId: number;

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
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

const post = (path: string, body: Record<string, string> | string, cookie = "", contentType?: string) =>
  fetch(`${server.url}${path}`, {
    method: "POST",
    redirect: "manual",
    headers: {
      "Content-Type": contentType ?? "application/x-www-form-urlencoded",
      Origin: server.url,
      ...(cookie ? { Cookie: cookie } : {}),
    },
    body: typeof body === "string" ? body : new URLSearchParams(body).toString(),
  });

async function withTotp(): Promise<{ account: MadeAccount; secret: string }> {
  const account = await makeAccount(c, { unitId });
  const { actor } = await signInAs(c, account);
  const { secret } = await c.services.auth.totp.startEnrolment(actor);
  await c.services.auth.totp.confirmEnrolment(actor, generateSync({ secret, epoch: Math.floor(Date.now() / 1000) }));
  return { account, secret };
}

describe("two-step sign-in over HTTP (IDN-2)", () => {
  it("password → /login/totp with an httpOnly challenge cookie → code → session", async () => {
    const { account, secret } = await withTotp();
    const first = await post("/login", { username: account.username, password: account.password, redirectTo: "/me" });
    expect(first.status).toBe(302);
    expect(first.headers.get("location")).toBe("/login/totp?redirectTo=%2Fme");
    expect(cookieOf(first, "portal_session")).toBeUndefined();
    const challenge = cookieOf(first, "portal_signin")!;
    expect(first.headers.getSetCookie().join()).toMatch(/portal_signin=[^;]+;.*HttpOnly/i);

    const page = await fetch(`${server.url}/login/totp?redirectTo=%2Fme`, {
      headers: { Cookie: challenge },
      redirect: "manual",
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("兩步驟驗證");

    const wrong = await post("/login/totp", { code: "12", redirectTo: "/me" }, challenge);
    expect(wrong.status).toBe(400);
    expect(await wrong.text()).toContain("驗證碼");

    const code = generateSync({ secret, epoch: Math.floor(Date.now() / 1000) + 30 });
    const done = await post("/login/totp", { code, redirectTo: "/me" }, challenge);
    expect(done.status).toBe(302);
    expect(done.headers.get("location")).toBe("/me");
    expect(cookieOf(done, "portal_session")).toBeDefined();
  });

  it("without a challenge the code page sends the browser back to /login", async () => {
    const res = await fetch(`${server.url}/login/totp`, { redirect: "manual" });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login");
    // A made-up challenge token is worth nothing: no session, back to the password.
    const forged = await post("/login/totp", { code: "123456" }, "portal_signin=forged");
    expect(forged.status).toBe(302);
    expect(forged.headers.get("location")).toBe("/login");
    expect(cookieOf(forged, "portal_session")).toBeUndefined();
  });
});

describe("an ended two-step sign-in (IDN-2)", () => {
  it("sends the code back to /login saying so, with no session", async () => {
    const { account } = await withTotp();
    const first = await post("/login", { username: account.username, password: account.password });
    const challenge = cookieOf(first, "portal_signin")!;
    // Expired or dropped: the row is gone.
    await c.db.deleteFrom("signin_challenges").where("account_id", "=", account.id).execute();
    const res = await post("/login/totp", { code: "123456", redirectTo: "/" }, challenge);
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/login?ended=1");
    expect(cookieOf(res, "portal_session")).toBeUndefined();
    const page = await fetch(`${server.url}/login?ended=1`);
    expect(await page.text()).toContain("兩步驟驗證已結束");
  });
});

describe("bad input on the sign-in method forms never gives a 5xx", () => {
  const junk = [
    "",
    "x".repeat(5000),
    "\u0000\u0001",
    "<script>alert(1)</script>",
    "'; DROP TABLE accounts; --",
    "０９１２３４５６７８",
  ];

  it("/login/temporary, /login/totp and /login", async () => {
    for (const v of junk) {
      for (const [path, body] of [
        ["/login/temporary", { intent: "request", username: v, channel: v }],
        ["/login/temporary", { intent: "signin", username: v, password: v }],
        ["/login/temporary", { intent: v, username: v }],
        ["/login/totp", { code: v, redirectTo: v }],
        ["/login", { username: v, password: v, redirectTo: v }],
      ] as const) {
        const res = await post(path, body);
        expect(res.status, `${path} ${JSON.stringify(body).slice(0, 80)}`).toBeLessThan(500);
      }
    }
    const notAForm = await post("/login/temporary", "{not a form", "", "application/json");
    expect(notAForm.status).toBeLessThan(500);
  });

  it("/me/security keeps the number typed and never fails", async () => {
    const a = await makeAccount(c, { unitId });
    const login = await post("/login", { username: a.username, password: a.password });
    const session = cookieOf(login, "portal_session")!;
    for (const v of junk) {
      for (const intent of ["totp-start", "totp-confirm", "phone-send", "phone-confirm", v]) {
        const res = await post("/me/security", { intent, code: v, mobile: v }, session);
        expect(res.status, `${intent} ${v.slice(0, 20)}`).toBeLessThan(500);
      }
    }
    const kept = await post("/me/security", { intent: "phone-send", mobile: "0812-345" }, session);
    expect(kept.status).toBe(400);
    const html = await kept.text();
    expect(html).toContain("0812-345");
    expect(html).toContain("09 開頭共 10 碼");
  });

  it("an agency admin of another agency cannot reset TOTP (404), and nothing changes", async () => {
    const { account } = await withTotp();
    const otherUnit = (await makeUnit(c, (await makeAgency(c)).id)).id;
    const outsider = await makeAccount(c, { unitId: otherUnit, role: "agency_admin" });
    const login = await post("/login", { username: outsider.username, password: outsider.password });
    const res = await post(
      `/admin/accounts/${account.id}`,
      { intent: "totp-reset" },
      cookieOf(login, "portal_session")!,
    );
    expect(res.status).toBe(404);
    const row = await c.db
      .selectFrom("accounts")
      .select("totp_enabled_at")
      .where("id", "=", account.id)
      .executeTakeFirstOrThrow();
    expect(row.totp_enabled_at).not.toBeNull();
  });
});
