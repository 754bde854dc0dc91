import ExcelJS from "exceljs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { signInOverHttp, getAs, postAs } from "../helpers/http-session.js";
import { makeAccount, makeAgency, makeUnit, type MadeAccount } from "../helpers/factory.js";

// ACC-10/11/12 through HTTP: the pages, their forms and exports, from both sides of the scope line.
let c: Container;
let server: { url: string; close(): Promise<void> };
let adminA: MadeAccount, adminB: MadeAccount, userA: MadeAccount, userA2: MadeAccount, userB: MadeAccount;
const cookies = new Map<MadeAccount, string>();

const signIn = (a: MadeAccount) => signInOverHttp(server.url, a);
const get = (who: MadeAccount, path: string) => getAs(server.url, cookies.get(who)!, path);
const post = (who: MadeAccount, path: string, body: URLSearchParams) =>
  postAs(server.url, cookies.get(who)!, path, body);
const statusOf = async (id: number) =>
  (await c.db.selectFrom("accounts").select("status").where("id", "=", id).executeTakeFirstOrThrow()).status;

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
  const a = await makeAgency(c, "帳號HTTP甲局");
  const b = await makeAgency(c, "帳號HTTP乙局");
  const ua = (await makeUnit(c, a.id, "甲科")).id;
  const ub = (await makeUnit(c, b.id, "乙科")).id;
  adminA = await makeAccount(c, { unitId: ua, role: "agency_admin", name: "甲管理者" });
  await makeAccount(c, { unitId: ua, role: "agency_admin", name: "甲管理者二" });
  adminB = await makeAccount(c, { unitId: ub, role: "agency_admin", name: "乙管理者" });
  userA = await makeAccount(c, { unitId: ua, name: "甲同仁" });
  userA2 = await makeAccount(c, { unitId: ua, name: "甲同仁二" });
  userB = await makeAccount(c, { unitId: ub, name: "乙同仁" });
  for (const who of [adminA, adminB, userA]) cookies.set(who, await signIn(who));
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

describe("account console over HTTP", () => {
  it("the list shows my agency only; a general user gets 404", async () => {
    const res = await get(adminA, "/admin/accounts");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("甲同仁");
    expect(html).not.toContain("乙同仁");
    expect((await get(userA, "/admin/accounts")).status).toBe(404);
  });

  it("pages by 10 unless 20 or 50 is chosen (issue 17); any other size reads as 10", async () => {
    const unitId = (
      await c.db.selectFrom("accounts").select("unit_id").where("id", "=", userA.id).executeTakeFirstOrThrow()
    ).unit_id;
    for (let i = 0; i < 12; i++) await makeAccount(c, { unitId, name: `分頁同仁${i}` });
    const rows = (html: string) => (html.match(/<tr/g) ?? []).length - 1; // less the header row
    const ten = await (await get(adminA, "/admin/accounts")).text();
    expect(rows(ten)).toBe(10);
    expect(ten).toContain("每頁顯示 10 筆");
    expect(ten).toMatch(/href="[^"]*\?size=20"/);
    expect(rows(await (await get(adminA, "/admin/accounts?size=20")).text())).toBeGreaterThan(10);
    expect(rows(await (await get(adminA, "/admin/accounts?size=999")).text())).toBe(10);
  });

  it("another agency's account: detail, its tabs and exports are 404", async () => {
    for (const path of [
      `/admin/accounts/${userB.id}`,
      `/admin/accounts/${userB.id}?tab=status`,
      `/admin/accounts/${userB.id}/changes.xlsx?kind=data`,
      `/admin/accounts/${userB.id}/logins.xlsx`,
      `/admin/accounts/abc`,
    ])
      expect((await get(adminA, path)).status, path).toBe(404);
    expect((await get(adminB, `/admin/accounts/${userB.id}?tab=unit`)).status).toBe(200);
  });

  it("the list export holds exactly my agency's filtered rows", async () => {
    const res = await get(adminA, `/admin/accounts.xlsx?q=${encodeURIComponent("甲同仁")}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toContain("filename*=UTF-8''");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
    const names: unknown[] = [];
    wb.worksheets[0]!.eachRow((row, n) => {
      if (n > 1) names.push(row.getCell(3).value);
    });
    expect(names.sort()).toEqual(["甲同仁", "甲同仁二"]);
  });

  it("a batch with another agency's id is 404 and changes nothing", async () => {
    const body = new URLSearchParams([
      ["ids", String(userA.id)],
      ["ids", String(userB.id)],
      ["reason", "離職"],
    ]);
    expect((await post(adminA, "/admin/accounts?index", body)).status).toBe(404);
    expect(await statusOf(userA.id)).toBe("enabled");
    expect(await statusOf(userB.id)).toBe("enabled");
  });

  it("a refused batch answers 400 with the rule's message and keeps the input", async () => {
    const body = new URLSearchParams([
      ["ids", String(userA2.id)],
      ["ids", String(adminA.id)],
      ["reason", "其他"],
      ["reasonText", "借調"],
    ]);
    const res = await post(adminA, "/admin/accounts?index", body);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain("無法批次停用：勾選的帳號須權限相同。");
    expect(html).toContain('value="借調"');
  });

  it("a done form redirects (303) back to its tab with a flash; the next page shows it", async () => {
    const page = `/admin/accounts/${userA2.id}`;
    const cases: [URLSearchParams, string, string][] = [
      [new URLSearchParams({ intent: "data", name: "甲同仁二", officePhone: "06-2991234" }), page, "編輯成功"],
      [new URLSearchParams({ intent: "data", name: "甲同仁二", officePhone: "06-2991234" }), page, "資料沒有變更"],
      [new URLSearchParams({ intent: "lock" }), `${page}?tab=status`, "已鎖定，此帳號已登出"],
      [new URLSearchParams({ intent: "unlock" }), `${page}?tab=status`, "已解鎖"],
    ];
    for (const [body, location, message] of cases) {
      const res = await post(adminA, page, body);
      expect(res.status, message).toBe(303);
      expect(res.headers.get("location")).toBe(location);
      const flash = res.headers
        .getSetCookie()
        .find((h) => h.startsWith("portal_flash="))!
        .split(";")[0]!;
      const next = await getAs(server.url, `${cookies.get(adminA)!}; ${flash}`, location);
      expect(await next.text()).toContain(message);
    }
  });

  it("a done batch redirects to the list with its filters and a flash", async () => {
    const { unit_id } = await c.db
      .selectFrom("accounts")
      .select("unit_id")
      .where("id", "=", userA.id)
      .executeTakeFirstOrThrow();
    const leaving = await makeAccount(c, { unitId: unit_id, name: "甲離職者" });
    const body = new URLSearchParams([
      ["ids", String(leaving.id)],
      ["reason", "其他"],
      ["reasonText", "借調"],
    ]);
    const res = await post(adminA, `/admin/accounts?index&q=${encodeURIComponent("甲")}`, body);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/admin/accounts?q=${encodeURIComponent("甲")}`);
    expect(res.headers.getSetCookie().some((h) => h.startsWith("portal_flash="))).toBe(true);
    expect(await statusOf(leaving.id)).toBe("disabled");
  });

  it("機關本部: the unit form keeps the agency node selected, so a title-only change never moves the person", async () => {
    const { agency_id } = await c.db
      .selectFrom("org_nodes")
      .select("agency_id")
      .where("id", "=", userA.unitId)
      .executeTakeFirstOrThrow();
    const atAgency = await makeAccount(c, { unitId: agency_id, name: "甲本部同仁" });
    const page = `/admin/accounts/${atAgency.id}?tab=unit`;
    const html = await (await get(adminA, page)).text();
    const selected =
      /<option selected="" value="(\d+)">([^<]*)<\/option>|<option value="(\d+)" selected="">([^<]*)<\/option>/.exec(
        html,
      );
    expect(Number(selected?.[1] ?? selected?.[3])).toBe(agency_id);
    expect(selected?.[2] ?? selected?.[4]).toBe("帳號HTTP甲局（機關本部）");
    // What the form posts untouched but for the title.
    const body = new URLSearchParams({ intent: "unit", unitId: String(agency_id), title: "專員", effective: "now" });
    expect((await post(adminA, `/admin/accounts/${atAgency.id}`, body)).status).toBe(303);
    const after = await c.db
      .selectFrom("accounts")
      .select(["unit_id", "title"])
      .where("id", "=", atAgency.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ unit_id: agency_id, title: "專員" });
    const log = await (await get(adminA, page)).text();
    expect(log).toContain('data-label="欄位">職稱');
    expect(log).not.toContain('data-label="欄位">隸屬單位');
    const rows = await c.db
      .selectFrom("account_changes")
      .select("field")
      .where("account_id", "=", atAgency.id)
      .execute();
    expect(rows.map((r) => r.field)).toEqual(["職稱"]);
  });

  it("bad input on the detail forms is a zh-TW message, never a 5xx, nothing changed", async () => {
    const before = await c.db.selectFrom("accounts").selectAll().where("id", "=", userA2.id).executeTakeFirstOrThrow();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("data", "unit", "role", "status", "transfer", "nonsense", ""),
        fc.dictionary(
          fc.constantFrom(
            "name",
            "officePhone",
            "backupEmail",
            "unitId",
            "title",
            "role",
            "status",
            "reason",
            "effective",
            "executeAt",
            "custody",
            "toAccountId",
          ),
          fc.oneof(fc.string({ maxLength: 30 }), fc.constant("x".repeat(10_000)), fc.constant("2020-01-01T09:00")),
        ),
        async (intent, fields) => {
          const body = new URLSearchParams({ ...fields, intent, name: "" });
          const res = await post(adminA, `/admin/accounts/${userA2.id}`, body);
          expect(res.status, JSON.stringify({ intent, fields })).toBeLessThan(500);
        },
      ),
      { numRuns: 40 },
    );
    const after = await c.db.selectFrom("accounts").selectAll().where("id", "=", userA2.id).executeTakeFirstOrThrow();
    expect(after.status).toBe(before.status);
    expect(after.name).toBe(before.name);
    expect(after.unit_id).toBe(before.unit_id);
  });
});
