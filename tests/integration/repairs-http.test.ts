import ExcelJS from "exceljs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { signInOverHttp, getAs, postAs } from "../helpers/http-session.js";
import {
  makeAccount,
  makeAgency,
  makeRepairTicket,
  makeRepairType,
  makeSite,
  makeUnit,
  type MadeAccount,
} from "../helpers/factory.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

let c: Container;
let server: { url: string; close(): Promise<void> };
let reporter: MadeAccount, vendor: MadeAccount, keeper: MadeAccount, outsider: MadeAccount;
let typeId: number, siteId: number, ticketId: number, agencyId: number, unitId: number;
const cookies = new Map<MadeAccount, string>();

const signIn = (a: MadeAccount) => signInOverHttp(server.url, a);
const get = (who: MadeAccount, path: string) => getAs(server.url, cookies.get(who)!, path);
const post = (who: MadeAccount, path: string, body: FormData | URLSearchParams) =>
  postAs(server.url, cookies.get(who)!, path, body);
const tickets = async () =>
  Number(
    (
      await c.db
        .selectFrom("repair_tickets")
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow()
    ).n,
  );

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
  siteId = (await makeSite(c)).id;
  const agency = await makeAgency(c, "報修HTTP局");
  const unit = await makeUnit(c, agency.id);
  agencyId = agency.id;
  unitId = unit.id;
  reporter = await makeAccount(c, { unitId: unit.id });
  keeper = await makeAccount(c, { unitId: unit.id });
  vendor = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c)).id)).id });
  outsider = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c)).id)).id });
  typeId = (
    await makeRepairType(c, { agencyId: agency.id, scope: "own", vendors: [vendor.id], custodians: [keeper.id] })
  ).id;
  ticketId = (
    await makeRepairTicket(c, {
      typeId,
      reporterId: reporter.id,
      unitId: unit.id,
      siteId,
      status: "processed",
      createdAt: new Date(),
    })
  ).id;
  for (const a of [reporter, vendor, keeper, outsider]) cookies.set(a, await signIn(a));
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

/** The portal_flash cookie a response sets, as "name=value". */
const flashPair = (res: Response) =>
  res.headers
    .getSetCookie()
    .find((h) => h.startsWith("portal_flash="))
    ?.split(";")[0];

/** A redirect-after-POST to `to` (no query flag) whose next page shows `message` once. */
async function expectFlash(who: MadeAccount, res: Response, to: string, message: string) {
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe(to);
  const pair = flashPair(res);
  expect(pair).toBeDefined();
  const page = await getAs(server.url, `${cookies.get(who)!}; ${pair!}`, to);
  expect(page.status).toBe(200);
  expect((await page.text()).replace(/<!-- -->/g, "")).toContain(message);
}

const reportForm = (files: { bytes: Buffer; name: string; type: string }[] = [], over: Record<string, string> = {}) => {
  const body = new FormData();
  const fields = {
    typeId: String(typeId),
    phone: "06-2991234",
    siteId: String(siteId),
    floor: "3F",
    description: "冷氣漏水",
    ...over,
  };
  for (const [k, v] of Object.entries(fields)) body.set(k, v);
  for (const f of files) body.append("photos", new File([new Uint8Array(f.bytes)], f.name, { type: f.type }));
  return body;
};

describe("repair screens over HTTP", () => {
  it("reports with a photo; wrong, oversized, too many or corrupt files are refused in zh-TW and nothing is stored", async () => {
    const ok = await post(reporter, "/repairs/new", reportForm([{ bytes: PNG, name: "a.png", type: "image/png" }]));
    await expectFlash(reporter, ok, "/repairs", "報修已送出，維修人員處理後會通知您。");
    const before = await tickets();
    const cases = [
      [{ bytes: Buffer.from("%PDF-1.7 not an image"), name: "a.jpg", type: "image/jpeg" }],
      [{ bytes: Buffer.alloc(5_242_881, 1), name: "big.png", type: "image/png" }],
      [{ bytes: PNG.subarray(0, 40), name: "cut.png", type: "image/png" }],
      Array.from({ length: 4 }, () => ({ bytes: PNG, name: "p.png", type: "image/png" })),
    ];
    for (const files of cases) {
      const res = await post(reporter, "/repairs/new?_data=routes/_app.repairs.new", reportForm(files));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { message: string };
      expect(body.message).toMatch(/JPEG、PNG、WebP|最多 3 張/);
    }
    const outsiderTry = await post(outsider, "/repairs/new?_data=routes/_app.repairs.new", reportForm());
    expect(outsiderTry.status).toBe(400);
    expect(((await outsiderTry.json()) as { fields: { typeId: string } }).fields.typeId).toContain("無法");
    expect(await tickets()).toBe(before);
  });

  it("a refused new type keeps the picked vendor staff", async () => {
    const admin = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c)).id)).id, role: "sys_admin" });
    cookies.set(admin, await signIn(admin));
    const person = { id: vendor.id, name: "陳廠商測試", username: vendor.username, unitName: "維修組" };
    const body = new URLSearchParams({ name: "", vendorIds: String(vendor.id), vendorPicked: JSON.stringify(person) });
    const res = await post(admin, "/admin/repair-types/new", body);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html.replace(/<!-- -->/g, "")).toContain("陳廠商測試（維修組）");
    expect(html).toContain(`name="vendorIds" value="${vendor.id}"`);
  });

  it("every repair form redirects with a flash message: type create, save, custodian, delete", async () => {
    const admin = await makeAccount(c, { unitId, role: "agency_admin" });
    cookies.set(admin, await signIn(admin));
    const created = await post(
      admin,
      "/admin/repair-types/new",
      new URLSearchParams({
        agencyId: String(agencyId),
        name: "閃訊報修",
        reportScope: "own",
        categories: "一般",
        custodian1: String(keeper.id),
      }),
    );
    const base = created.headers.get("location")!;
    expect(base).toMatch(/^\/admin\/repair-types\/\d+$/);
    await expectFlash(admin, created, base, "已新增報修類型「閃訊報修」");
    const save = new URLSearchParams({
      intent: "save",
      name: "閃訊報修（改）",
      reportScope: "own",
      categories: "一般",
    });
    await expectFlash(admin, await post(admin, base, save), base, "已儲存報修類型「閃訊報修（改）」");
    const holder = new URLSearchParams({
      intent: "custodian",
      slot: "2",
      accountId: String(reporter.id),
      reason: "代理",
    });
    await expectFlash(admin, await post(admin, base, holder), `${base}?tab=holders`, "已設定保管人 2");
    const refused = await post(admin, base, new URLSearchParams({ intent: "save", name: "", reportScope: "own" }));
    expect(refused.status).toBe(400);
    expect(flashPair(refused)).toBeUndefined();
    expect(await refused.text()).toContain("請填寫報修類型名稱");
    const deleted = await post(admin, base, new URLSearchParams({ intent: "delete" }));
    await expectFlash(admin, deleted, "/admin/repair-types", "已刪除報修類型「閃訊報修（改）」");
  });

  it("handling, returning and resending a ticket redirect with a flash message", async () => {
    const pending = () =>
      makeRepairTicket(c, { typeId, reporterId: reporter.id, unitId, siteId, createdAt: new Date() });
    const handled = await post(
      vendor,
      `/repairs/${(await pending()).id}`,
      new URLSearchParams({
        intent: "handle",
        handlerName: "維修甲",
        handledAt: "2020-01-01T10:00",
        result: "已修復",
        category: "一般維修",
      }),
    );
    await expectFlash(vendor, handled, "/repairs/handle", "已完成處理，已通知報修人及保管人。");
    const id = (await pending()).id;
    const returned = await post(vendor, `/repairs/${id}`, new URLSearchParams({ intent: "return", reason: "請補充" }));
    await expectFlash(vendor, returned, "/repairs/handle", "已退回，已通知報修人及保管人。");
    const resend = new URLSearchParams({ intent: "resubmit", phone: "06-2991234", siteId: String(siteId) });
    resend.set("floor", "3F");
    resend.set("description", "冷氣漏水（補充）");
    await expectFlash(reporter, await post(reporter, `/repairs/${id}`, resend), "/repairs", "報修已重新送出。");
  });

  it("pages answer each role, and 404 outside their scope", async () => {
    for (const path of ["/repairs", "/repairs/new", `/repairs/${ticketId}`])
      expect((await get(reporter, path)).status, path).toBe(200);
    expect((await get(vendor, "/repairs/handle")).status).toBe(200);
    expect((await get(reporter, "/repairs/handle")).status).toBe(404);
    for (const tab of ["info", "holders", "status"])
      expect((await get(keeper, `/admin/repair-types/${typeId}?tab=${tab}`)).status, tab).toBe(200);
    for (const path of [
      `/repairs/${ticketId}`,
      `/admin/repair-types/${typeId}`,
      "/admin/repair-types",
      `/admin/repair-types/${typeId}/tickets.xlsx`,
      "/repairs/vendors?q=測試",
      `/repairs/${ticketId}x`,
      "/repairs/99999999",
    ])
      expect((await get(outsider, path)).status, path).toBe(404);
    const chart = await (await get(keeper, `/admin/repair-types/${typeId}?tab=status`)).text();
    expect(chart).toContain("<svg");
    expect(chart).toContain("各單位報修件數");
  });

  it("the export streams the exact columns", async () => {
    const res = await get(keeper, `/admin/repair-types/${typeId}/tickets.xlsx`);
    expect(res.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    expect((wb.worksheets[0]!.getRow(1).values as unknown[]).slice(1)).toHaveLength(11);
    expect(wb.worksheets[0]!.rowCount).toBeGreaterThanOrEqual(2);
  });

  it("generated bad input at the report and handle actions never gives a 5xx", async () => {
    const junk = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: "binary", maxLength: 30 }),
      fc.constantFrom("", "0", "-1", "99999999999", "<b>", "handle", "return", "resubmit"),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom(
            "intent",
            "typeId",
            "phone",
            "siteId",
            "floor",
            "description",
            "handlerName",
            "handledAt",
            "result",
            "category",
            "reason",
          ),
          junk,
        ),
        fc.constantFrom("/repairs/new", `/repairs/${ticketId}`, "/repairs/abc", "/repairs/2147483648"),
        fc.constantFrom(vendor, reporter),
        async (fields, path, who) => {
          const res = await post(who, path, new URLSearchParams(fields));
          expect(res.status, `${path} ${JSON.stringify(fields)}`).toBeLessThan(500);
        },
      ),
      { numRuns: 60 },
    );
  });
});
