import { readdirSync } from "node:fs";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { signInOverHttp } from "../helpers/http-session.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";

// Issue 14 item 6: no personal answer in any cache; Origin compared as scheme+host+port;
// exported text never turns into a formula.
let c: Container;
let server: { url: string; close(): Promise<void> };
let admin: MadeAccount;
let cookie: string;
const FORMULA_NAME = '=HYPERLINK("http://127.0.0.1:9/x","點我")';

beforeAll(async () => {
  c = await testContainer({ env: { TRUST_PROXY: "loopback" } });
  server = await startTestServer(c);
  const unit = (await makeUnit(c, (await makeAgency(c, "快取測試局")).id)).id;
  admin = await makeAccount(c, { unitId: unit, role: "agency_admin", name: "快取管理者" });
  await makeAccount(c, { unitId: unit, name: FORMULA_NAME });
  await makeAccount(c, { unitId: unit, name: "@SUM(1+1)*cmd|' /C calc'!A0" });
  cookie = await signInOverHttp(server.url, admin);
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(server.url + path, { headers: { Cookie: cookie, ...headers }, redirect: "manual" });

describe("Cache-Control: no-store on everything personal (ASVS V8.2.1)", () => {
  it("a signed-in page, its ?_data loader answer, a 404 and an export are no-store", async () => {
    const answers = {
      page: await get("/"),
      data: await get("/?_data=root"),
      notFound: await get("/no-such-page"),
      adminPage: await get("/admin/accounts"),
      adminData: await get("/admin/accounts?_data=routes%2F_app.admin.accounts._index"),
      export: await get("/admin/accounts.xlsx"),
      notFoundData: await get("/admin/accounts/999999?_data=routes%2F_app.admin.accounts.%24id"),
    };
    expect(answers.page.status).toBe(200);
    expect(answers.data.status).toBe(200);
    expect(answers.notFound.status).toBe(404);
    expect(answers.adminData.status).toBe(200);
    expect(answers.export.status).toBe(200);
    expect(answers.notFoundData.status).toBe(404);
    for (const [what, res] of Object.entries(answers)) {
      expect(res.headers.get("cache-control"), what).toMatch(/\bno-store\b/);
      // One header, not the route's and ours side by side.
      expect(
        res.headers
          .get("cache-control")!
          .split(",")
          .filter((d) => d.includes("no-store")),
        what,
      ).toHaveLength(1);
    }
  });

  it("the sign-in page is no-store too; fingerprinted assets keep their year of caching", async () => {
    expect((await fetch(`${server.url}/login`)).headers.get("cache-control")).toBe("no-store");
    const asset = readdirSync("public/build").find((f) => f.endsWith(".js"));
    const res = await fetch(`${server.url}/build/${asset}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toMatch(/max-age=31536000/);
  });
});

describe("exports keep typed text as text (OWASP CSV injection)", () => {
  it("a name starting with = or @ is written with a leading apostrophe, as a plain text cell", async () => {
    const res = await get("/admin/accounts.xlsx");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
    const cells: ExcelJS.Cell[] = [];
    wb.worksheets[0]!.eachRow((row, n) => {
      if (n > 1) row.eachCell((cell) => cells.push(cell));
    });
    const risky = cells.filter((cell) => /HYPERLINK|SUM/.test(String(cell.value)));
    expect(risky.map((cell) => cell.value).sort()).toEqual([`'${FORMULA_NAME}`, "'@SUM(1+1)*cmd|' /C calc'!A0"].sort());
    for (const cell of risky) expect(cell.type).toBe(ExcelJS.ValueType.String);
    // No cell anywhere in the file is a formula.
    expect(cells.filter((cell) => cell.type === ExcelJS.ValueType.Formula)).toEqual([]);
  });
});

describe("Origin check compares scheme, host and port (CSRF, ASVS V13.2.3)", () => {
  const postLogin = (url: string, headers: Record<string, string>) =>
    fetch(`${url}/login`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded", ...headers },
      body: "username=nobody&password=x",
    });

  it("without PUBLIC_ORIGIN: the request's own scheme (X-Forwarded-Proto from a trusted proxy) must match", async () => {
    const host = new URL(server.url).host;
    // Plain HTTP straight to us: http://host is ours, https://host is not.
    expect((await postLogin(server.url, { Origin: `http://${host}` })).status).not.toBe(403);
    expect((await postLogin(server.url, { Origin: `https://${host}` })).status).toBe(403);
    // Behind the TLS proxy: the site is https://portal.test, so http://portal.test is another origin.
    const proxied = { "X-Forwarded-Proto": "https", "X-Forwarded-Host": "portal.test" };
    expect((await postLogin(server.url, { ...proxied, Origin: "https://portal.test" })).status).not.toBe(403);
    expect((await postLogin(server.url, { ...proxied, Origin: "http://portal.test" })).status).toBe(403);
    expect((await postLogin(server.url, { ...proxied, Origin: "https://portal.test:8443" })).status).toBe(403);
    expect((await postLogin(server.url, { ...proxied, Origin: "null" })).status).toBe(403);
  });

  it("with PUBLIC_ORIGIN: only that exact origin passes, whatever Host says", async () => {
    const other = await testContainer({ env: { PUBLIC_ORIGIN: "https://portal.test", TRUST_PROXY: "loopback" } });
    const s = await startTestServer(other);
    try {
      const viaProxy = { "X-Forwarded-Host": "portal.test" };
      expect((await postLogin(s.url, { ...viaProxy, Origin: "https://portal.test" })).status).not.toBe(403);
      expect((await postLogin(s.url, { ...viaProxy, Origin: "https://PORTAL.test:443" })).status).not.toBe(403);
      expect((await postLogin(s.url, { Origin: "http://portal.test" })).status).toBe(403);
      expect((await postLogin(s.url, { Origin: "https://portal.test:444" })).status).toBe(403);
      expect((await postLogin(s.url, { Origin: s.url })).status).toBe(403);
    } finally {
      await s.close();
      await other.close();
    }
  });
});
