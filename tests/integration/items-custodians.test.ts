import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import ExcelJS from "exceljs";
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
let siteId: number, agencyA: number, agencyB: number;
let adminA: MadeAccount,
  keeper: MadeAccount,
  next: MadeAccount,
  second: MadeAccount,
  outsider: MadeAccount,
  applicant: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const as = (a: MadeAccount) => actors.get(a)!;

beforeAll(async () => {
  c = await testContainer({ clock });
  siteId = (await makeSite(c)).id;
  agencyA = (await makeAgency(c, "甲局")).id;
  agencyB = (await makeAgency(c, "乙局")).id;
  const uA = (await makeUnit(c, agencyA, "甲一科")).id;
  adminA = await makeAccount(c, { unitId: uA, role: "agency_admin", name: "甲管理者" });
  keeper = await makeAccount(c, { unitId: uA, name: "原保管人" });
  next = await makeAccount(c, { unitId: uA, name: "新保管人" });
  second = await makeAccount(c, { unitId: uA, name: "第二保管人" });
  applicant = await makeAccount(c, { unitId: uA, name: "申請人甲" });
  outsider = await makeAccount(c, { unitId: (await makeUnit(c, agencyB)).id, name: "乙同仁" });
  for (const a of [adminA, keeper, next, second, outsider, applicant]) actors.set(a, (await signInAs(c, a)).actor);
});
afterAll(() => c?.close());

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: { code: string; message: string; fields: Record<string, string> }) => e,
  );

async function readXlsx(stream: ReadableStream<Uint8Array>) {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.read(Readable.fromWeb(stream as unknown as NodeReadableStream<Uint8Array>));
  const ws = wb.worksheets[0]!;
  const rows: unknown[][] = [];
  ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
  return rows;
}

describe("custodians (two slots; every change with a reason, logged)", () => {
  it("hands slot 1 over with a reason and logs who, when, from, to and why", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    await c.services.items.setCustodian(as(keeper), "venue", v.id, {
      slot: "1",
      accountId: String(next.id),
      reason: "業務移交",
    });
    const log = await c.db.selectFrom("custodian_changes").selectAll().where("item_id", "=", v.id).execute();
    expect(log).toEqual([
      expect.objectContaining({
        slot: 1,
        from_account_id: keeper.id,
        to_account_id: next.id,
        reason: "業務移交",
        actor_id: keeper.id,
        at: clock.now(),
      }),
    ]);
    // The old custodian has let go: the item is now out of their reach.
    expect((await failure(c.services.items.get(as(keeper), "venue", v.id))).code).toBe("not_found");
    const audit = await c.db.selectFrom("audit_log").select("action").where("target_id", "=", String(v.id)).execute();
    expect(audit.map((a) => a.action)).toEqual(["item.custodian"]);
  });

  it("the reason is required", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    const e = await failure(
      c.services.items.setCustodian(as(adminA), "venue", v.id, {
        slot: "2",
        accountId: String(second.id),
        reason: "  ",
      }),
    );
    expect(e.code).toBe("invalid");
    expect(e.fields.reason).toBe("請填寫異動原因");
    expect(await c.db.selectFrom("custodian_changes").selectAll().where("item_id", "=", v.id).execute()).toHaveLength(
      0,
    );
  });

  it("slot 2 is set and removed; slot 1 cannot be removed", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    await c.services.items.setCustodian(as(adminA), "venue", v.id, {
      slot: "2",
      accountId: String(second.id),
      reason: "增設第二保管人",
    });
    expect((await c.services.items.get(as(adminA), "venue", v.id)).custodians.map((h) => h.accountId)).toEqual([
      keeper.id,
      second.id,
    ]);
    const e = await failure(
      c.services.items.setCustodian(as(adminA), "venue", v.id, { slot: "1", accountId: "", reason: "離職" }),
    );
    expect(e.fields.accountId).toBe("保管人 1 為必填，只能移轉給他人，不可移除");
    await c.services.items.setCustodian(as(second), "venue", v.id, { slot: "2", accountId: "", reason: "調職" });
    expect((await c.services.items.get(as(adminA), "venue", v.id)).custodians.map((h) => h.slot)).toEqual([1]);
    const last = await c.db
      .selectFrom("custodian_changes")
      .selectAll()
      .where("item_id", "=", v.id)
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(last).toMatchObject({ slot: 2, from_account_id: second.id, to_account_id: null, reason: "調職" });
  });

  it("a custodian must be an enabled person of the managing agency; not the one in the other slot", async () => {
    const v = await makeItem(c, { kind: "driver", agencyId: agencyA, siteId, custodians: [keeper.id, second.id] });
    const e = await failure(
      c.services.items.setCustodian(as(adminA), "driver", v.id, {
        slot: "1",
        accountId: String(outsider.id),
        reason: "x",
      }),
    );
    expect(e.fields.accountId).toBe("管理人須為管理機關的在職同仁");
    const f = await failure(
      c.services.items.setCustodian(as(adminA), "driver", v.id, {
        slot: "1",
        accountId: String(second.id),
        reason: "x",
      }),
    );
    expect(f.fields.accountId).toBe("此人已是管理人 2，不可同時擔任兩個位置");
    expect(
      (
        await failure(
          c.services.items.setCustodian(as(outsider), "driver", v.id, {
            slot: "1",
            accountId: String(next.id),
            reason: "x",
          }),
        )
      ).code,
    ).toBe("not_found");
  });

  it("the change log filters by 執行時間 and exports a streamed .xlsx with zh-TW headers", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, name: "匯出測試室", custodians: [keeper.id] });
    clock.set(new Date("2026-11-01T02:30:00Z")); // 2026/11/01 10:30 Taipei
    await c.services.items.setCustodian(as(adminA), "venue", v.id, {
      slot: "2",
      accountId: String(second.id),
      reason: "增設",
    });
    clock.set(new Date("2026-11-30T01:00:00Z"));
    await c.services.items.setCustodian(as(adminA), "venue", v.id, {
      slot: "1",
      accountId: String(next.id),
      reason: "移交",
    });
    expect((await c.services.items.changeLog(as(adminA), "venue", v.id, {})).total).toBe(2);
    const nov1 = await c.services.items.changeLog(as(adminA), "venue", v.id, { from: "2026-11-01", to: "2026-11-01" });
    expect(nov1.rows.map((r) => r.reason)).toEqual(["增設"]);
    expect(
      (await c.services.items.changeLog(as(adminA), "venue", v.id, { from: "2026-11-02" })).rows.map((r) => r.reason),
    ).toEqual(["移交"]);

    const { stream, headers } = await c.services.items.exportChangeLog(as(adminA), "venue", v.id, { to: "2026-11-01" });
    expect(headers["Content-Type"]).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const rows = await readXlsx(stream);
    expect(rows[0]).toEqual(["執行時間", "保管人", "原保管人", "新保管人", "異動原因", "執行人"]);
    expect(rows[1]).toEqual(
      ["2026/11/01 10:30", "保管人 2", null, "第二保管人", "增設", "甲管理者"].map((x) => x ?? undefined).slice(0, 6),
    );
    expect(rows).toHaveLength(2);
    await expect(c.services.items.exportChangeLog(as(outsider), "venue", v.id, {})).rejects.toMatchObject({
      code: "not_found",
    });
  });

  it("the export pages through many rows (keyset) and keeps them all", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    await c.db
      .insertInto("custodian_changes")
      .values(
        Array.from({ length: 1203 }, (_, i) => ({
          item_id: v.id,
          slot: 2,
          from_account_id: null,
          to_account_id: second.id,
          reason: `第${i}次`,
          actor_id: adminA.id,
          at: new Date(Date.UTC(2026, 0, 1) + (i % 7) * 60_000), // ties on `at`, broken by id
        })),
      )
      .execute();
    const rows = await readXlsx((await c.services.items.exportChangeLog(as(adminA), "venue", v.id, {})).stream);
    expect(rows).toHaveLength(1204);
    expect(new Set(rows.slice(1).map((r) => r[4])).size).toBe(1203);
  });
});

describe("records (ITM-4 借用紀錄, ITM-3 派遣紀錄)", () => {
  it("lists the approved bookings of the item by date, with 詳細 and export; drivers by dispatch", async () => {
    const car = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, name: "Altis", custodians: [keeper.id] });
    const driver = await makeItem(c, {
      kind: "driver",
      agencyId: agencyA,
      siteId,
      name: "葉司機",
      custodians: [second.id],
    });
    const mk = (day: string, status: "approved" | "pending" | "rejected", driverId?: number) =>
      makeItemBooking(c, {
        itemId: car.id,
        applicantId: applicant.id,
        start: new Date(`${day}T01:00:00Z`),
        end: new Date(`${day}T03:00:00Z`),
        status,
        driverId,
        reason: `出差 ${day}`,
      });
    const a = await mk("2026-11-10", "approved", driver.id);
    await mk("2026-11-11", "pending");
    await mk("2026-11-12", "rejected");
    await mk("2026-11-20", "approved");
    const all = await c.services.items.records(as(keeper), "car", car.id, {});
    expect(all.rows.map((r) => r.reason)).toEqual(["出差 2026-11-20", "出差 2026-11-10"]);
    const byDay = await c.services.items.records(as(keeper), "car", car.id, { from: "2026-11-10", to: "2026-11-10" });
    expect(byDay.total).toBe(1);
    const detail = await c.services.items.record(as(keeper), "car", car.id, a.id);
    expect(detail).toMatchObject({ applicantName: "申請人甲", unitName: "甲一科", driverName: "葉司機" });
    const dispatched = await c.services.items.records(as(second), "driver", driver.id, {});
    expect(dispatched.rows.map((r) => r.id)).toEqual([a.id]);
    expect((await failure(c.services.items.records(as(second), "car", car.id, {}))).code).toBe("not_found");
    expect((await failure(c.services.items.record(as(keeper), "car", car.id, 99999999))).code).toBe("not_found");

    const rows = await readXlsx(
      (await c.services.items.exportRecords(as(keeper), "car", car.id, { from: "2026-11-10", to: "2026-11-10" }))
        .stream,
    );
    expect(rows[0]).toEqual([
      "借用開始",
      "借用結束",
      "申請人",
      "申請單位",
      "申請事由",
      "乘客人數",
      "目的地",
      "司機",
      "審核人",
      "審核時間",
      "審核說明",
      "取消",
    ]);
    expect(rows[1]?.slice(0, 5)).toEqual([
      "2026/11/10 09:00",
      "2026/11/10 11:00",
      "申請人甲",
      "甲一科",
      "出差 2026-11-10",
    ]);
    expect(rows[1]?.[7]).toBe("葉司機");
  });
});
