import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";

let c: Container;
let server: { url: string; close(): Promise<void> };
let userA: MadeAccount, adminA: MadeAccount, userB: MadeAccount;

beforeAll(async () => {
  c = await testContainer({ env: { TRUST_PROXY: "loopback" } });
  server = await startTestServer(c);
  const unitA = await makeUnit(c, (await makeAgency(c, "甲機關")).id);
  const unitB = await makeUnit(c, (await makeAgency(c, "乙機關")).id);
  userA = await makeAccount(c, { unitId: unitA.id, name: "甲使用者" });
  adminA = await makeAccount(c, { unitId: unitA.id, role: "agency_admin" });
  userB = await makeAccount(c, { unitId: unitB.id });
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  fetch(server.url + path, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: server.url, ...headers },
    body,
  });

async function signIn(a: MadeAccount, headers: Record<string, string> = {}): Promise<string> {
  const res = await post(
    "/login",
    new URLSearchParams({ username: a.username, password: a.password, redirectTo: "/" }).toString(),
    headers,
  );
  expect(res.status).toBe(302);
  const cookie = res.headers.get("set-cookie") ?? "";
  expect(cookie).toMatch(/HttpOnly/i);
  expect(cookie).toMatch(/SameSite=Lax/i);
  return cookie.split(";")[0]!;
}

const sessionCount = async () =>
  (await c.db.selectFrom("sessions").select(c.db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow()).n;

describe("server", () => {
  it("/healthz checks the database", async () => {
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: "ok" });
  });

  it("sends security headers with a fresh CSP nonce that the page's scripts carry", async () => {
    const [a, b] = await Promise.all([fetch(`${server.url}/login`), fetch(`${server.url}/login`)]);
    const csp = a.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeTruthy();
    expect(b.headers.get("content-security-policy")).not.toContain(nonce);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(a.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await a.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
  });

  it("caches fingerprinted assets for a year and compresses them", async () => {
    const html = await (await fetch(`${server.url}/login`)).text();
    // The shared chunk (React) is well above compression's 1 KB threshold.
    const asset = /\/build\/_shared\/[^"]+\.js/.exec(html)?.[0];
    const res = await fetch(server.url + asset!, { headers: { "Accept-Encoding": "gzip" } });
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(res.headers.get("content-encoding")).toBe("gzip");
  });

  it("refuses a form post without our Origin", async () => {
    const body = new URLSearchParams({ username: userA.username, password: userA.password }).toString();
    expect((await post("/login", body, { Origin: "https://evil.example" })).status).toBe(403);
    const noOrigin = await fetch(`${server.url}/login`, {
      method: "POST",
      body,
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    expect(noOrigin.status).toBe(403);
  });
});

describe("sign-in over HTTP", () => {
  it("signs in, shows home with the password reminder, and signs out", async () => {
    const cookie = await signIn(userA);
    const home = await fetch(`${server.url}/`, { headers: { Cookie: cookie } });
    expect(home.status).toBe(200);
    const html = await home.text();
    expect(html).toContain("甲使用者");
    expect(html).toContain("提醒您：密碼將於 90 天後到期");
    const out = await post("/logout", "", { Cookie: cookie });
    expect(out.status).toBe(302);
    const after = await fetch(`${server.url}/`, { headers: { Cookie: cookie }, redirect: "manual" });
    expect(after.status).toBe(302);
    expect(after.headers.get("location")).toBe("/login");
  });

  it("records the client's address from X-Forwarded-For behind a trusted proxy", async () => {
    await signIn(userB, { "X-Forwarded-For": "198.51.100.23" });
    const rec = await c.db
      .selectFrom("login_records")
      .selectAll()
      .where("account_id", "=", userB.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(rec.ip).toBe("198.51.100.23");
  });

  it("never redirects off-site after sign-in", async () => {
    const res = await post(
      "/login",
      new URLSearchParams({
        username: userA.username,
        password: userA.password,
        redirectTo: "//evil.example/x",
      }).toString(),
    );
    expect(res.headers.get("location")).toBe("/");
  });

  it("after a real password, a redirectTo with TAB, CR/LF or U+3000 goes home — never off-site, never a 500", async () => {
    for (const redirectTo of ["/\t/attacker.example", "/\r\n/x", "/\u3000/x", "/\\attacker.example"]) {
      const res = await post(
        "/login",
        new URLSearchParams({ username: userA.username, password: userA.password, redirectTo }).toString(),
      );
      expect(res.status, JSON.stringify(redirectTo)).toBe(302);
      expect(res.headers.get("location")).toBe("/");
    }
    const signedIn = await signIn(userA);
    const already = await fetch(`${server.url}/login?redirectTo=%2F%09%2Fattacker.example`, {
      headers: { Cookie: signedIn },
      redirect: "manual",
    });
    expect(already.headers.get("location")).toBe("/");
  });

  it("an agency admin gets 404 for another agency's account page, 200 for their own", async () => {
    const cookie = await signIn(adminA);
    const other = await fetch(`${server.url}/admin/accounts/${userB.id}`, { headers: { Cookie: cookie } });
    expect(other.status).toBe(404);
    expect(await other.text()).not.toContain(userB.username);
    const own = await fetch(`${server.url}/admin/accounts/${userA.id}`, { headers: { Cookie: cookie } });
    expect(own.status).toBe(200);
    const junk = await fetch(`${server.url}/admin/accounts/1%00'or'1'='1`, { headers: { Cookie: cookie } });
    expect(junk.status).toBe(404);
  });

  it("a general user gets 404 for the account admin page, even their own", async () => {
    const cookie = await signIn(userB);
    expect((await fetch(`${server.url}/admin/accounts/${userB.id}`, { headers: { Cookie: cookie } })).status).toBe(404);
  });
});

describe("dev mailbox", () => {
  it("is readable from this machine, but not from another address unless signed in as a system admin", async () => {
    expect((await fetch(`${server.url}/dev/mailbox`)).status).toBe(200);
    const remote = { "X-Forwarded-For": "198.51.100.44" };
    expect((await fetch(`${server.url}/dev/mailbox`, { headers: remote })).status).toBe(404);
    const cookie = await signIn(adminA, remote);
    expect((await fetch(`${server.url}/dev/mailbox`, { headers: { ...remote, Cookie: cookie } })).status).toBe(404);
    const sys = await makeAccount(c, { unitId: userA.unitId, role: "sys_admin" });
    const sysCookie = await signIn(sys, remote);
    expect((await fetch(`${server.url}/dev/mailbox`, { headers: { ...remote, Cookie: sysCookie } })).status).toBe(200);
  });

  it("makes a mail's bare path links absolute with the request's origin (no PUBLIC_ORIGIN: issue 17)", async () => {
    const token = `dev-link-${Date.now()}`;
    await c.db
      .insertInto("dev_mailbox")
      .values({
        channel: "mail",
        to_address: "x@example.org",
        subject: "連結",
        body: `請開通：\n/activate?token=${token}\n`,
        created_at: new Date(),
      })
      .execute();
    const html = await (await fetch(`${server.url}/dev/mailbox`)).text();
    expect(html).toContain(`<a href="${server.url}/activate?token=${token}">`);
  });

  it("never marks the session cookie Secure outside production", async () => {
    const res = await post(
      "/login",
      new URLSearchParams({ username: userB.username, password: userB.password }).toString(),
    );
    expect(res.headers.get("set-cookie")).not.toMatch(/Secure/i);
  });
});

describe("bad input at the sign-in action", () => {
  // Raw, already-encoded bodies reach the server byte for byte, including invalid UTF-8.
  const fixed = [
    "",
    "username=&password=",
    `username=${"a".repeat(10_000)}&password=${"b".repeat(10_000)}`,
    "username=%00&password=%00",
    "username=wang%00xm&password=x%00y",
    "username=%ED%A0%80&password=%ED%B0%80", // lone surrogates, UTF-8 encoded
    "username=%C3%28&password=%FF%FE", // invalid UTF-8
    "username=' OR '1'='1&password=' OR '1'='1",
    "username=admin'--&password=x",
    "username=%3Bdrop+table+accounts%3B--&password=x",
    "username[]=a&username[]=b&password=x",
    "username=%E2%80%AE%E2%80%8B&password=%EF%BB%BF",
  ];
  const text = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.string({ unit: "grapheme", maxLength: 30 }),
    fc.constantFrom(
      "",
      " ",
      "\u0000",
      "\ud800",
      "\udfff",
      "a".repeat(10_000),
      "' OR 1=1 --",
      "admin\u0000",
      "%",
      "\r\n",
    ),
    fc.string({
      unit: fc.constantFrom("\u0000", "\u0001", "\u001f", "\u007f", "\ud800", "'", ";", "-", "a"),
      maxLength: 50,
    }),
  );

  it("answers 400 with a zh-TW message, no session and never a 5xx, for 212 inputs", async () => {
    const before = await sessionCount();
    const bodies = [...fixed];
    fc.sample(fc.record({ username: text, password: text }), { numRuns: 200, seed: 20261129 }).forEach((v) =>
      bodies.push(`username=${encodeRaw(v.username)}&password=${encodeRaw(v.password)}`),
    );
    expect(bodies.length).toBeGreaterThanOrEqual(212);
    for (const [i, body] of bodies.entries()) {
      // Each from its own loopback address (TRUST_PROXY=loopback): the per-address throttle has its own tests.
      const res = await post("/login", body, {
        "X-Forwarded-For": `127.0.${Math.floor(i / 200) + 1}.${(i % 200) + 1}`,
      });
      const html = await res.text();
      expect(res.status, body.slice(0, 80)).toBe(400);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(html).toMatch(/帳號或密碼錯誤，或帳號暫時無法登入。|請輸入帳號及密碼。/);
    }
    expect(await sessionCount()).toBe(before);
  });

  it("keeps the typed username (never the password) in the form", async () => {
    const res = await post("/login", "username=someone.else&password=Wrong%23Password1");
    const html = await res.text();
    expect(html).toContain('value="someone.else"');
    expect(html).not.toContain("Wrong#Password1");
  });
});

/** Percent-encodes a JS string as UTF-16 code units turned into UTF-8, lone surrogates included. */
function encodeRaw(s: string): string {
  let out = "";
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) {
      out += [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join("");
    } else out += encodeURIComponent(ch);
  }
  return out;
}
