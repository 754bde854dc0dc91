import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { fixedClock } from "../../bff/ports/clock.js";
import { testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeItemBooking,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";

// 2026-11-30 09:00 Taipei.
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let siteId: number;
let agencyA: number, agencyB: number;
let adminA: MadeAccount, adminB: MadeAccount, sys: MadeAccount;
let custodian: MadeAccount, userA: MadeAccount, userB: MadeAccount, disabledA: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const as = (a: MadeAccount) => actors.get(a)!;

beforeAll(async () => {
  c = await testContainer({ clock });
  siteId = (await makeSite(c)).id;
  agencyA = (await makeAgency(c, "甲局")).id;
  agencyB = (await makeAgency(c, "乙局")).id;
  const uA = (await makeUnit(c, agencyA)).id;
  const uB = (await makeUnit(c, agencyB)).id;
  adminA = await makeAccount(c, { unitId: uA, role: "agency_admin" });
  adminB = await makeAccount(c, { unitId: uB, role: "agency_admin" });
  sys = await makeAccount(c, { unitId: uB, role: "sys_admin" });
  custodian = await makeAccount(c, { unitId: uA, name: "保管甲" });
  userA = await makeAccount(c, { unitId: uA, name: "甲同仁" });
  userB = await makeAccount(c, { unitId: uB, name: "乙同仁" });
  disabledA = await makeAccount(c, { unitId: uA, status: "enabled" });
  for (const a of [adminA, adminB, sys, custodian, userA, userB, disabledA])
    actors.set(a, (await signInAs(c, a)).actor);
  await c.db.updateTable("accounts").set({ status: "disabled" }).where("id", "=", disabledA.id).execute();
});
afterAll(() => c?.close());

const venueInput = (o: Record<string, unknown> = {}) => ({
  siteId: String(siteId),
  agencyId: String(agencyA),
  name: "第一會議室",
  floor: "3F",
  capacity: "30",
  openFrom: "08:00",
  openTo: "18:00",
  phone: "06-2991111#123",
  description: "投影機、白板\n可容納 30 人",
  isPublic: "true",
  borrowScope: "all",
  custodian1: String(custodian.id),
  ...o,
});

const failure = async (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: { code: string; message: string; fields: Record<string, string> }) => ({
      code: e.code,
      message: e.message,
      fields: e.fields,
    }),
  );

describe("create (ITM: only agency admins for their own agency, and system admins)", () => {
  it("an agency admin creates a venue of their own agency, with slot 1, a log row and an audit row", async () => {
    const { id } = await c.services.items.create(as(adminA), "venue", venueInput());
    const detail = await c.services.items.get(as(adminA), "venue", id);
    expect(detail.item).toMatchObject({
      name: "第一會議室",
      capacity: 30,
      open_from: "08:00",
      open_to: "18:00",
      is_public: true,
    });
    expect(detail.item.description).toBe("投影機、白板\n可容納 30 人");
    expect(detail.custodians.map((h) => [h.slot, h.accountId])).toEqual([[1, custodian.id]]);
    const log = await c.db.selectFrom("custodian_changes").selectAll().where("item_id", "=", id).execute();
    expect(log).toHaveLength(1);
    const audit = await c.db.selectFrom("audit_log").select("action").where("target_id", "=", String(id)).execute();
    expect(audit.map((a) => a.action)).toContain("item.create");
  });

  it("an agency admin cannot create for another agency: a field message", async () => {
    const f = await failure(c.services.items.create(as(adminB), "venue", venueInput()));
    expect(f.code).toBe("invalid");
    expect(f.fields.agencyId).toBe("您只能新增本機關的場地");
  });

  it("a general user cannot create at all (not found), even a custodian", async () => {
    expect((await failure(c.services.items.create(as(userA), "venue", venueInput()))).code).toBe("not_found");
    expect((await failure(c.services.items.create(as(custodian), "car", {}))).code).toBe("not_found");
  });

  it("a system admin creates for any agency", async () => {
    const { id } = await c.services.items.create(as(sys), "venue", venueInput({ name: "系統建立的場地" }));
    expect((await c.services.items.get(as(sys), "venue", id)).agencyName).toBe("甲局");
  });

  it("slot 1 is required and must be an enabled person of the managing agency", async () => {
    expect(
      (await failure(c.services.items.create(as(adminA), "venue", venueInput({ custodian1: "" })))).fields.custodian1,
    ).toBe("請選擇保管人 1");
    expect(
      (await failure(c.services.items.create(as(adminA), "venue", venueInput({ custodian1: String(userB.id) })))).fields
        .custodian1,
    ).toBe("保管人須為管理機關的在職同仁");
    expect(
      (await failure(c.services.items.create(as(adminA), "venue", venueInput({ custodian1: String(disabledA.id) }))))
        .fields.custodian1,
    ).toBe("保管人須為管理機關的在職同仁");
    expect(
      (await failure(c.services.items.create(as(adminA), "venue", venueInput({ custodian2: String(custodian.id) }))))
        .fields.custodian2,
    ).toBe("保管人 2 不可與保管人 1 相同");
  });
});

describe("validation (zh-TW field messages, never a 500)", () => {
  it("every required venue field is named", async () => {
    const f = await failure(
      c.services.items.create(as(adminA), "venue", { agencyId: String(agencyA), custodian1: String(custodian.id) }),
    );
    expect(f.code).toBe("invalid");
    expect(f.fields).toMatchObject({
      siteId: "請選擇所在地",
      name: "請填寫場地名稱",
      floor: "請填寫所在樓層",
      capacity: "請填寫容納人數",
      openFrom: "請選擇開放借用時間（起）",
      openTo: "請選擇開放借用時間（迄）",
      isPublic: "請選擇是否公開",
      borrowScope: "請選擇允許借用機關",
    });
  });

  it("every required car and driver field is named", async () => {
    const car = await failure(c.services.items.create(as(adminA), "car", { agencyId: String(agencyA) }));
    expect(car.fields).toMatchObject({
      name: "請填寫車型",
      plateNo: "請填寫車號",
      passengerLimit: "請填寫乘客人數上限",
      brand: "請填寫廠牌",
      year: "請填寫年份",
      displacementCc: "請填寫排氣量",
      carNo: "請填寫公務車編號",
      custodian1: "請選擇保管人 1",
    });
    const driver = await failure(c.services.items.create(as(adminA), "driver", { agencyId: String(agencyA) }));
    expect(driver.fields).toMatchObject({
      name: "請填寫司機姓名",
      licence: "請填寫司機證照",
      phone: "請填寫司機聯絡電話",
      custodian1: "請選擇管理人 1",
      borrowScope: "請選擇允許派遣機關",
    });
    expect(driver.fields.openFrom).toBeUndefined();
  });

  it("hours must run forwards; numbers must be numbers", async () => {
    const f = await failure(
      c.services.items.create(as(adminA), "venue", venueInput({ openFrom: "18:00", openTo: "08:00", capacity: "abc" })),
    );
    expect(f.fields.openTo).toBe("開放借用時間的結束必須晚於開始");
    expect(f.fields.capacity).toBe("容納人數請填寫 1 到 100000 的整數");
  });

  it("control characters, 20,000-character strings and forged ids get clear messages", async () => {
    const f = await failure(
      c.services.items.create(
        as(adminA),
        "venue",
        venueInput({
          name: "會議\u0000室",
          description: "x".repeat(20_000),
          siteId: "99999999",
          custodian1: "'; DROP TABLE items;--",
        }),
      ),
    );
    expect(f.fields.name).toBe("場地名稱含有無法使用的字元");
    expect(f.fields.description).toBe("場地描述最多 2000 個字（目前 20000 個字）");
    expect(f.fields.custodian1).toBe("請選擇保管人 1");
    const g = await failure(c.services.items.create(as(adminA), "venue", venueInput({ siteId: "99999999" })));
    expect(g.fields.siteId).toBe("請選擇所在地");
    const h = await failure(
      c.services.items.create(
        as(adminA),
        "venue",
        venueInput({ borrowScope: "listed", listedAgencyIds: ["99999999"] }),
      ),
    );
    expect(h.fields.listedAgencyIds).toBe("其他機關的選擇有誤，請重新選擇");
  });

  it("listed scope needs at least one other agency; the listed agencies are kept", async () => {
    const f = await failure(c.services.items.create(as(adminA), "venue", venueInput({ borrowScope: "listed" })));
    expect(f.fields.listedAgencyIds).toBe("請以「+」加入至少一個可借用的其他機關");
    const { id } = await c.services.items.create(
      as(adminA),
      "venue",
      venueInput({ borrowScope: "listed", listedAgencyIds: [String(agencyB)] }),
    );
    expect((await c.services.items.get(as(adminA), "venue", id)).listed.map((a) => a.id)).toEqual([agencyB]);
  });

  it("a second live car with the same plate is refused by field", async () => {
    const car = {
      siteId: String(siteId),
      agencyId: String(agencyA),
      name: "Toyota Altis",
      plateNo: "rdx-1234",
      passengerLimit: "4",
      brand: "Toyota",
      year: "2022",
      displacementCc: "1800",
      carNo: "RDEC-001",
      openFrom: "08:00",
      openTo: "18:00",
      isPublic: "true",
      borrowScope: "own",
      custodian1: String(custodian.id),
    };
    const { id } = await c.services.items.create(as(adminA), "car", car);
    expect((await c.services.items.get(as(adminA), "car", id)).item.plate_no).toBe("RDX-1234");
    expect((await failure(c.services.items.create(as(adminA), "car", car))).fields.plateNo).toBe(
      "此車號已登記為其他公務車",
    );
  });
});

describe("scope (custodians and admins of the managing agency; everyone else 404)", () => {
  it("the custodian edits; others get not found, both ways", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [custodian.id] });
    await c.services.items.update(as(custodian), "venue", v.id, venueInput({ name: "改名後" }));
    expect((await c.services.items.get(as(custodian), "venue", v.id)).item.name).toBe("改名後");
    await c.services.items.update(as(adminA), "venue", v.id, venueInput({ name: "管理者改名" }));
    for (const who of [userA, userB, adminB]) {
      expect((await failure(c.services.items.get(as(who), "venue", v.id))).code).toBe("not_found");
      expect((await failure(c.services.items.update(as(who), "venue", v.id, venueInput()))).code).toBe("not_found");
      expect((await failure(c.services.items.remove(as(who), "venue", v.id))).code).toBe("not_found");
      expect((await failure(c.services.items.records(as(who), "venue", v.id, {}))).code).toBe("not_found");
      expect((await failure(c.services.items.changeLog(as(who), "venue", v.id, {}))).code).toBe("not_found");
    }
    // From the other side: agency B's item is out of reach of agency A's custodian and admin.
    const w = await makeItem(c, { agencyId: agencyB, siteId, custodians: [userB.id] });
    expect((await failure(c.services.items.get(as(custodian), "venue", w.id))).code).toBe("not_found");
    expect((await failure(c.services.items.get(as(adminA), "venue", w.id))).code).toBe("not_found");
    expect((await c.services.items.get(as(userB), "venue", w.id)).item.id).toBe(w.id);
  });

  it("a venue asked for as a car is not found", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [custodian.id] });
    expect((await failure(c.services.items.get(as(adminA), "car", v.id))).code).toBe("not_found");
  });

  it("lists: 全部 is what I manage, 本機關 my agency's; keyword and paging in the database", async () => {
    const agencyC = (await makeAgency(c, "丙局")).id;
    const uC = (await makeUnit(c, agencyC)).id;
    const adminC = await makeAccount(c, { unitId: uC, role: "agency_admin" });
    const keeperC = await makeAccount(c, { unitId: uC });
    for (let i = 0; i < 12; i++)
      await makeItem(c, {
        agencyId: agencyC,
        siteId,
        name: `丙會議室${String(i).padStart(2, "0")}`,
        custodians: [keeperC.id],
      });
    await makeItem(c, { agencyId: agencyC, siteId, name: "丙禮堂", custodians: [adminC.id] });
    const admin = (await signInAs(c, adminC)).actor;
    const keeper = (await signInAs(c, keeperC)).actor;
    const all = await c.services.items.list(admin, "venue", {});
    expect(all.total).toBe(13);
    expect(all.rows).toHaveLength(10);
    expect((await c.services.items.list(admin, "venue", { page: "2" })).rows).toHaveLength(3);
    expect((await c.services.items.list(admin, "venue", { q: "禮堂" })).rows.map((r) => r.name)).toEqual(["丙禮堂"]);
    expect((await c.services.items.list(admin, "venue", { q: "丙局" })).total).toBe(13);
    expect((await c.services.items.list(keeper, "venue", { tab: "own" })).total).toBe(12);
    const nobody = (await signInAs(c, await makeAccount(c, { unitId: uC }))).actor;
    expect((await c.services.items.list(nobody, "venue", {})).total).toBe(0);
    expect((await c.services.items.consoleAccess(keeper)).manage).toBe(true);
    expect(await c.services.items.consoleAccess(as(userA))).toEqual({ manage: false, create: false });
  });
});

describe("delete (soft, refused while future bookings hold the item)", () => {
  it("refuses with a zh-TW message, then deletes once the booking is gone", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [custodian.id] });
    const b = await makeItemBooking(c, {
      itemId: v.id,
      applicantId: userA.id,
      start: new Date("2026-12-01T01:00:00Z"),
      end: new Date("2026-12-01T02:00:00Z"),
      status: "pending",
    });
    const f = await failure(c.services.items.remove(as(custodian), "venue", v.id));
    expect(f.code).toBe("conflict");
    expect(f.message).toBe("此場地尚有 1 筆未結束的借用申請（未審核或已核准），請先處理後再刪除。");
    await c.db.updateTable("bookings").set({ status: "cancelled" }).where("id", "=", b.id).execute();
    await c.services.items.remove(as(custodian), "venue", v.id);
    const row = await c.db.selectFrom("items").select("deleted_at").where("id", "=", v.id).executeTakeFirstOrThrow();
    expect(row.deleted_at).not.toBeNull();
    expect((await failure(c.services.items.get(as(adminA), "venue", v.id))).code).toBe("not_found");
  });

  it("a driver with a future dispatch cannot be deleted", async () => {
    const car = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const driver = await makeItem(c, { kind: "driver", agencyId: agencyA, siteId, custodians: [custodian.id] });
    await makeItemBooking(c, {
      itemId: car.id,
      driverId: driver.id,
      applicantId: userA.id,
      start: new Date("2026-12-02T01:00:00Z"),
      end: new Date("2026-12-02T02:00:00Z"),
    });
    expect((await failure(c.services.items.remove(as(adminA), "driver", driver.id))).message).toContain(
      "未結束的派遣申請",
    );
  });
});
