import ExcelJS from "exceljs";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { IMAGE_REFUSED } from "../../bff/items/images.js";
import { testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeRepairTicket,
  makeRepairType,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
const PDF = Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n", "ascii");

let c: Container;
let siteId: number, agencyA: number, agencyB: number, agencyC: number, unitA: number, unitA2: number;
let adminA: MadeAccount, adminB: MadeAccount, keeper: MadeAccount, keeper2: MadeAccount;
let vendor: MadeAccount, vendor2: MadeAccount, userA: MadeAccount, userA2: MadeAccount, userB: MadeAccount;
let userC: MadeAccount;
let typeOwn: number, typeListed: number, typeOther: number;
const actors = new Map<MadeAccount, Actor>();
const as = (a: MadeAccount) => actors.get(a)!;
const repairs = () => c.services.repairs;

const form = { phone: "06-2991234", floor: "5F", description: "影印機卡紙，無法列印" };
const ticketCount = async () =>
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
  siteId = (await makeSite(c, "報修地點")).id;
  agencyA = (await makeAgency(c, "報修甲局")).id;
  agencyB = (await makeAgency(c, "報修乙局")).id;
  agencyC = (await makeAgency(c, "報修丙局")).id;
  unitA = (await makeUnit(c, agencyA, "資訊科")).id;
  unitA2 = (await makeUnit(c, agencyA, "總務科")).id;
  const unitB = (await makeUnit(c, agencyB)).id;
  const unitC = (await makeUnit(c, agencyC)).id;
  adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  adminB = await makeAccount(c, { unitId: unitB, role: "agency_admin" });
  keeper = await makeAccount(c, { unitId: unitA, name: "保管甲" });
  keeper2 = await makeAccount(c, { unitId: unitA, name: "保管乙" });
  vendor = await makeAccount(c, { unitId: unitC, name: "維修甲" });
  vendor2 = await makeAccount(c, { unitId: unitC, name: "維修乙" });
  userA = await makeAccount(c, { unitId: unitA, name: "報修人甲" });
  userA2 = await makeAccount(c, { unitId: unitA2, name: "報修人乙" });
  userB = await makeAccount(c, { unitId: unitB });
  userC = await makeAccount(c, { unitId: unitC });
  for (const a of [adminA, adminB, keeper, keeper2, vendor, vendor2, userA, userA2, userB, userC])
    actors.set(a, (await signInAs(c, a)).actor);
  typeOwn = (
    await makeRepairType(c, {
      agencyId: agencyA,
      name: "公文系統",
      scope: "own",
      vendors: [vendor.id],
      custodians: [keeper.id],
    })
  ).id;
  typeListed = (
    await makeRepairType(c, { agencyId: agencyA, scope: "listed", listed: [agencyB], vendors: [vendor.id] })
  ).id;
  typeOther = (await makeRepairType(c, { agencyId: agencyB, vendors: [vendor2.id], custodians: [adminB.id] })).id;
});
afterAll(() => c?.close());

describe("repair types (RPR-1)", () => {
  it("only admins create, for their own agency; custodians edit what they hold, others get 404", async () => {
    const input = {
      agencyId: String(agencyA),
      name: "冷氣空調",
      reportScope: "all",
      vendorName: "冷氣行",
      vendorPhone: "06-1111111",
      categories: "冷氣-清洗\n冷氣-故障",
      vendorIds: [String(vendor.id)],
      custodian1: String(keeper.id),
      custodian2: String(keeper2.id),
    };
    await expect(repairs().create(as(userA), input)).rejects.toMatchObject({ code: "not_found" });
    await expect(repairs().create(as(adminB), input)).rejects.toMatchObject({
      code: "invalid",
      fields: { agencyId: expect.stringContaining("本機關") },
    });
    const { id } = await repairs().create(as(adminA), input);
    const got = await repairs().get(as(keeper), id);
    expect(got.type.categories).toEqual(["冷氣-清洗", "冷氣-故障"]);
    expect(got.vendors.map((v) => v.name)).toEqual(["維修甲"]);
    expect(got.custodians.map((k) => k.name)).toEqual(["保管甲", "保管乙"]);
    await repairs().update(as(keeper2), id, { ...input, name: "冷氣空調設備" });
    expect((await repairs().get(as(adminA), id)).type.name).toBe("冷氣空調設備");
    for (const who of [userA, adminB, vendor])
      await expect(repairs().get(as(who), id)).rejects.toMatchObject({ code: "not_found" });
    await expect(repairs().update(as(adminB), id, input)).rejects.toMatchObject({ code: "not_found" });
    await repairs().remove(as(keeper), id);
    await expect(repairs().get(as(adminA), id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("type forms: every bad field has its zh-TW message; the managing agency alone is no listed agency", async () => {
    const bad = {
      agencyId: String(agencyA),
      name: " ",
      reportScope: "listed",
      vendorPhone: "請打總機",
      categories: Array.from({ length: 31 }, (_, i) => `分類${i}`).join("\n"),
      vendorIds: ["x"],
      custodian1: String(keeper.id),
      custodian2: String(keeper.id),
    };
    await expect(repairs().create(as(adminA), bad)).rejects.toMatchObject({
      code: "invalid",
      fields: {
        name: "請填寫報修類型名稱",
        listedAgencyIds: "請以「+」加入至少一個可報修的其他機關",
        vendorPhone: "廠商聯絡電話請填寫數字，可含 -、#、( )",
        categories: "處理分類最多 30 項",
        vendorIds: expect.stringContaining("維修人員的選擇有誤"),
        custodian2: "保管人 2 不可與保管人 1 相同",
      },
    });
    const ownOnly = { name: "公文系統", reportScope: "listed", listedAgencyIds: [String(agencyA)] };
    await expect(repairs().update(as(adminA), typeOwn, ownOnly)).rejects.toMatchObject({
      fields: { listedAgencyIds: "請以「+」加入至少一個可報修的其他機關" },
    });
    expect((await repairs().get(as(adminA), typeOwn)).type.report_scope).toBe("own");
  });

  it("vendor search needs 2 characters; custodian changes take a reason and are logged", async () => {
    expect(await repairs().vendorSearch(as(adminA), "維")).toEqual([]);
    expect((await repairs().vendorSearch(as(adminA), "維修")).map((p) => p.name)).toEqual(["維修乙", "維修甲"]);
    await expect(repairs().vendorSearch(as(userA), "維修")).rejects.toMatchObject({ code: "not_found" });
    await expect(
      repairs().setCustodian(as(keeper), typeOwn, { slot: "2", accountId: String(keeper2.id), reason: "" }),
    ).rejects.toMatchObject({ code: "invalid", fields: { reason: "請填寫異動原因" } });
    await repairs().setCustodian(as(keeper), typeOwn, { slot: "2", accountId: String(keeper2.id), reason: "職務代理" });
    await expect(
      repairs().setCustodian(as(keeper), typeOwn, { slot: "1", accountId: "", reason: "離職" }),
    ).rejects.toMatchObject({ code: "invalid" });
    const log = await repairs().changeLog(as(keeper2), typeOwn, {});
    expect(log.rows[0]).toMatchObject({ slot: 2, toName: "保管乙", reason: "職務代理" });
    await repairs().setCustodian(as(adminA), typeOwn, { slot: "2", accountId: "", reason: "代理結束" });
    expect((await repairs().changeLog(as(adminA), typeOwn, {})).total).toBe(2);
  });
});

describe("reporting and scope (RPR-2, RPR-5)", () => {
  it("offers only the types I may report to (own / listed / all)", async () => {
    const names = async (a: MadeAccount) => (await repairs().reportOptions(as(a))).types.map((t) => t.id);
    expect(await names(userA)).toEqual(expect.arrayContaining([typeOwn, typeListed, typeOther]));
    expect(await names(userB)).toEqual(expect.arrayContaining([typeListed, typeOther]));
    expect(await names(userB)).not.toContain(typeOwn);
    expect(await names(userC)).toEqual([typeOther]);
  });

  it("refuses a type I may not report to, an empty description and bad photos; nothing is stored", async () => {
    const before = await ticketCount();
    await expect(
      repairs().report(as(userB), { ...form, typeId: String(typeOwn), siteId: String(siteId) }),
    ).rejects.toMatchObject({ code: "invalid", fields: { typeId: expect.stringContaining("無法") } });
    await expect(
      repairs().report(as(userA), { ...form, description: "   ", typeId: String(typeOwn), siteId: String(siteId) }),
    ).rejects.toMatchObject({ code: "invalid", fields: { description: "請填寫故障原因" } });
    for (const photos of [[PDF], [Buffer.alloc(5_242_881, 1)], [PNG.subarray(0, PNG.length - 8)]])
      await expect(
        repairs().report(as(userA), { ...form, typeId: String(typeOwn), siteId: String(siteId) }, photos),
      ).rejects.toMatchObject({ code: "invalid", message: IMAGE_REFUSED });
    await expect(
      repairs().report(as(userA), { ...form, typeId: String(typeOwn), siteId: String(siteId) }, [PNG, PNG, PNG, PNG]),
    ).rejects.toMatchObject({ code: "invalid", fields: { photos: expect.stringContaining("3") } });
    await expect(
      repairs().report(as(userA), { ...form, typeId: "999999", siteId: String(siteId) }),
    ).rejects.toMatchObject({ code: "invalid" });
    expect(await ticketCount()).toBe(before);
  });

  it("each role sees what is theirs, and nothing else is found", async () => {
    const { id } = await repairs().report(as(userA), { ...form, typeId: String(typeOwn), siteId: String(siteId) }, [
      PNG,
    ]);
    // reporter
    expect((await repairs().mine(as(userA))).map((t) => t.id)).toContain(id);
    expect((await repairs().mine(as(userA2))).map((t) => t.id)).not.toContain(id);
    const mineView = await repairs().ticket(as(userA), id);
    expect(mineView).toMatchObject({ isReporter: true, canHandle: false, canEdit: false });
    expect(mineView.ticket).toMatchObject({ status: "pending", unitName: "資訊科", phone: form.phone });
    // vendor of the type, and not of another
    expect((await repairs().queue(as(vendor))).rows.map((t) => t.id)).toContain(id);
    expect((await repairs().queue(as(vendor2))).rows.map((t) => t.id)).not.toContain(id);
    expect(await repairs().ticket(as(vendor), id)).toMatchObject({ isVendor: true, canHandle: true });
    // custodian of the type and the owning agency's admin, and not another type's
    expect((await repairs().ticket(as(keeper), id)).canHandle).toBe(false);
    await repairs().ticket(as(adminA), id);
    for (const who of [vendor2, adminB, userA2, userB, userC, keeper2])
      await expect(repairs().ticket(as(who), id)).rejects.toMatchObject({ code: "not_found" });
    // photos follow the ticket
    const photoId = mineView.photos[0]!.id;
    expect((await repairs().photo(as(vendor), photoId)).contentType).toBe("image/png");
    await expect(repairs().photo(as(userB), photoId)).rejects.toMatchObject({ code: "not_found" });
    // only the type's vendor handles; a forged id is not found
    await expect(repairs().returnTicket(as(vendor2), id, { reason: "x" })).rejects.toMatchObject({ code: "not_found" });
    await expect(repairs().returnTicket(as(userA), id, { reason: "x" })).rejects.toMatchObject({ code: "not_found" });
    await expect(repairs().ticket(as(userA), "1' OR 1=1")).rejects.toMatchObject({ code: "not_found" });
    await expect(repairs().ticket(as(userA), 2_000_000)).rejects.toMatchObject({ code: "not_found" });
    // custodians see their types' statistics, others none
    await repairs().statistics(as(keeper), typeOwn, {});
    for (const who of [vendor, userA, adminB])
      await expect(repairs().statistics(as(who), typeOwn, {})).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("handling and returns (RPR-3)", () => {
  it("counts returns; the reporter edits and resubmits; handled, it shows 已處理; all are told", async () => {
    const { id } = await repairs().report(as(userA), { ...form, typeId: String(typeOwn), siteId: String(siteId) });
    await expect(repairs().returnTicket(as(vendor), id, { reason: " " })).rejects.toMatchObject({
      fields: { reason: "請填寫退回原因" },
    });
    await repairs().returnTicket(as(vendor), id, { reason: "請註明影印機型號" });
    let view = await repairs().ticket(as(userA), id);
    expect(view.ticket).toMatchObject({ status: "returned", return_count: 1, return_reason: "請註明影印機型號" });
    expect(view.canEdit).toBe(true);
    // A returned ticket can't be handled until it comes back.
    await expect(
      repairs().handle(as(vendor), id, {
        handlerName: "維修甲",
        handledAt: "2020-01-01T10:00",
        result: "x",
        category: "一般維修",
      }),
    ).rejects.toMatchObject({ code: "conflict" });
    await expect(repairs().resubmit(as(userA2), id, { ...form, siteId: String(siteId) })).rejects.toMatchObject({
      code: "not_found",
    });
    await repairs().resubmit(as(userA), id, { ...form, description: "影印機 X-100 卡紙", siteId: String(siteId) });
    await repairs().returnTicket(as(vendor), id, { reason: "請附照片" });
    await repairs().resubmit(as(userA), id, { ...form, siteId: String(siteId) }, [PNG]);
    view = await repairs().ticket(as(userA), id);
    expect(view.ticket).toMatchObject({ status: "pending", return_count: 2 });
    expect(view.photos).toHaveLength(1);

    await expect(
      repairs().handle(as(vendor), id, { handlerName: "維修甲", handledAt: "", result: "", category: "不存在" }),
    ).rejects.toMatchObject({
      code: "invalid",
      fields: { handledAt: "請填寫處理時間", result: "請填寫處理結果", category: "請從清單選擇分類" },
    });
    await repairs().handle(as(vendor), id, {
      handlerName: "維修甲",
      handledAt: "2020-01-01T10:00",
      result: "更換滾輪",
      category: "硬體更換",
    });
    view = await repairs().ticket(as(userA), id);
    expect(view.ticket).toMatchObject({ status: "processed", return_count: 2, category: "硬體更換" });
    await expect(repairs().returnTicket(as(vendor), id, { reason: "again" })).rejects.toMatchObject({
      code: "conflict",
    });

    const jobs = await c.db
      .selectFrom("jobs")
      .select(["kind", "payload"])
      .where("idempotency_key", "like", `%repair-%:${id}:%`)
      .execute();
    const pushes = jobs.filter((j) => j.kind === "push.fanout");
    // new, return, resubmit, return, resubmit, processed
    expect(pushes).toHaveLength(6);
    const processed = pushes.at(-1)!.payload as { recipients: number[]; notification: { title: string } };
    expect(processed.recipients.sort()).toEqual([userA.id, keeper.id].sort());
    expect(processed.notification.title).toContain("已處理");
  });

  it("home counts: my open tickets, and for vendor staff what waits for them", async () => {
    const counts = async (a: MadeAccount) =>
      Object.fromEntries((await repairs().homeCounts(c.db, as(a))).map((x) => [x.key, x.count]));
    const before = await counts(userA2);
    const vBefore = (await counts(vendor))["repairs-waiting"] ?? 0;
    await repairs().report(as(userA2), { ...form, typeId: String(typeOwn), siteId: String(siteId) });
    expect((await counts(userA2))["repairs-mine"]).toBe((before["repairs-mine"] ?? 0) + 1);
    expect((await counts(vendor))["repairs-waiting"]).toBe(vBefore + 1);
    expect((await counts(userB))["repairs-waiting"]).toBeUndefined();
  });
});

describe("generated bad input never breaks the report or handle actions", () => {
  const junk = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.constantFrom("", " ", "0", "-1", "1e9", "NaN", "null", "\u0000", "<script>", "9".repeat(30)),
    fc.integer(),
    fc.constant(undefined),
    fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  );
  const expected = (e: unknown) =>
    typeof e === "object" && e !== null && ["invalid", "not_found", "conflict"].includes((e as { code: string }).code);

  it("report: a DomainError or a valid ticket, never anything else", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ typeId: junk, phone: junk, siteId: junk, floor: junk, description: junk }),
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 4 }),
        async (input, photos) => {
          try {
            await repairs().report(as(userA), input, photos);
          } catch (e) {
            if (!expected(e)) throw e;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("handle and return: a DomainError or a change, never anything else", async () => {
    const { id } = await repairs().report(as(userA), { ...form, typeId: String(typeListed), siteId: String(siteId) });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.constant(String(id)), junk),
        fc.record({ handlerName: junk, handledAt: junk, result: junk, category: junk, reason: junk }),
        async (ticketId, input) => {
          for (const act of [
            () => repairs().handle(as(vendor), ticketId, input),
            () => repairs().returnTicket(as(vendor2), ticketId, input),
          ]) {
            try {
              await act();
            } catch (e) {
              if (!expected(e)) throw e;
            }
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe("statistics and export (RPR-4)", () => {
  let statsType: number;
  const at = (iso: string) => new Date(iso);

  beforeAll(async () => {
    statsType = (await makeRepairType(c, { agencyId: agencyA, name: "統計用類型", custodians: [keeper.id] })).id;
    const t = (
      reporter: MadeAccount,
      unitId: number,
      when: string,
      status: "pending" | "processed" | "returned",
      returns = 0,
    ) =>
      makeRepairTicket(c, {
        typeId: statsType,
        reporterId: reporter.id,
        unitId,
        siteId,
        createdAt: at(when),
        status,
        returns,
      });
    // Known data: 2026-01 ×3, 2026-02 ×2, 2026-03 ×1 (Taipei days), and one outside the period.
    await t(userA, unitA, "2026-01-05T02:00:00Z", "processed");
    await t(userA, unitA, "2026-01-20T02:00:00Z", "pending", 1);
    await t(userA2, unitA2, "2026-01-31T17:30:00Z", "processed"); // 2026-02-01 01:30 Taipei
    await t(userA2, unitA2, "2026-02-10T02:00:00Z", "returned", 2);
    await t(userA, unitA, "2026-02-11T02:00:00Z", "processed");
    await t(userA, unitA, "2026-03-31T15:59:00Z", "pending"); // 2026-03-31 23:59 Taipei
    await t(userA, unitA, "2026-03-31T16:00:00Z", "processed"); // 2026-04-01 00:00 Taipei: outside
  });

  it("counts by month, status and unit for a period, in Taipei days", async () => {
    const s = await repairs().statistics(as(keeper), statsType, { from: "2026-01-01", to: "2026-03-31" });
    expect(s.total).toBe(6);
    expect(s.returns).toBe(3);
    expect(s.period.unit).toBe("month");
    expect(s.volume.map((v) => [v.label, v.total])).toEqual([
      ["2026-01", 2],
      ["2026-02", 3],
      ["2026-03", 1],
    ]);
    expect(Object.fromEntries(s.byStatus.map((b) => [b.status, b.count]))).toEqual({
      pending: 2,
      processed: 3,
      returned: 1,
    });
    expect(s.units.map((u) => [u.name, u.total, u.processed])).toEqual([
      ["資訊科", 4, 2],
      ["總務科", 2, 1],
    ]);
    const feb = await repairs().statistics(as(keeper), statsType, { from: "2026-02-01", to: "2026-02-10" });
    expect(feb.period.unit).toBe("day");
    expect(feb.volume).toHaveLength(10);
    expect(feb.volume[0]).toMatchObject({ label: "2026-02-01", total: 1, processed: 1 });
    expect(feb.volume[9]).toMatchObject({ label: "2026-02-10", total: 1, returned: 1 });
    expect(feb.total).toBe(2);
  });

  it("exports the header row and full rows, read back with exceljs", async () => {
    const { stream, headers } = await repairs().exportTickets(as(keeper), statsType, {
      from: "2026-01-01",
      to: "2026-03-31",
    });
    expect(headers["Content-Type"]).toContain("spreadsheetml");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await new Response(stream).arrayBuffer());
    const ws = wb.worksheets[0]!;
    const row = (n: number) => (ws.getRow(n).values as unknown[]).slice(1);
    expect(row(1)).toEqual([
      "報修類型",
      "報修單位",
      "報修人員",
      "報修人員公務電話",
      "所在地點",
      "所在樓層",
      "報修日期",
      "故障原因",
      "處理狀況",
      "退回次數",
      "處理狀況詳細",
    ]);
    expect(ws.rowCount).toBe(7);
    expect(row(2)).toEqual([
      "統計用類型",
      "資訊科",
      "報修人甲",
      "06-2991000",
      "報修地點",
      "3F",
      "2026/01/05 10:00",
      "冷氣不冷",
      "已處理",
      0,
      "處理人員：維修甲\n處理時間：2026/01/05 11:00\n處理結果：已更換零件\n分類：一般維修",
    ]);
    expect(row(3).slice(8)).toEqual(["待處理", 1]); // empty detail while pending: no cell
    expect(row(4)[6]).toBe("2026/02/01 01:30");
    await expect(repairs().exportTickets(as(vendor), statsType, {})).rejects.toMatchObject({ code: "not_found" });
  });
});
