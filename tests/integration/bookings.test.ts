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

// 2026-11-30 09:00 Taipei. Tomorrow is 2026-12-01.
const clock = fixedClock(new Date("2026-11-30T01:00:00Z"));
let c: Container;
let siteId: number;
let agencyA: number, agencyB: number, agencyC: number, subOfA: number;
let custodian: MadeAccount,
  custodian2: MadeAccount,
  userA: MadeAccount,
  userB: MadeAccount,
  userC: MadeAccount,
  userSub: MadeAccount;
let adminA: MadeAccount, adminB: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const as = (a: MadeAccount) => actors.get(a)!;

beforeAll(async () => {
  c = await testContainer({ clock });
  siteId = (await makeSite(c)).id;
  agencyA = (await makeAgency(c, "甲局")).id;
  agencyB = (await makeAgency(c, "乙局")).id;
  agencyC = (await makeAgency(c, "丙局")).id;
  subOfA = (await makeAgency(c, "甲局所屬", agencyA)).id;
  const unit = async (agency: number) => (await makeUnit(c, agency)).id;
  const uA = await unit(agencyA);
  custodian = await makeAccount(c, { unitId: uA, name: "保管甲" });
  custodian2 = await makeAccount(c, { unitId: uA, name: "保管乙" });
  userA = await makeAccount(c, { unitId: uA, name: "甲同仁" });
  adminA = await makeAccount(c, { unitId: uA, role: "agency_admin" });
  userB = await makeAccount(c, { unitId: await unit(agencyB) });
  adminB = await makeAccount(c, { unitId: await unit(agencyB), role: "agency_admin" });
  userC = await makeAccount(c, { unitId: await unit(agencyC) });
  userSub = await makeAccount(c, { unitId: await unit(subOfA) });
  for (const a of [custodian, custodian2, userA, adminA, userB, adminB, userC, userSub])
    actors.set(a, (await signInAs(c, a)).actor);
});
afterAll(() => c?.close());

const venue = (o: Partial<Parameters<typeof makeItem>[1]> = {}) =>
  makeItem(c, { agencyId: agencyA, siteId, custodians: [custodian.id, custodian2.id], ...o });

const req = (actor: Actor, itemId: number, startsAt: string, endsAt: string, extra: Record<string, unknown> = {}) =>
  c.services.bookings.request(actor, { itemId, startsAt, endsAt, reason: "業務會議", attendees: "5", ...extra });

const err = <T>(p: Promise<T>) =>
  p.then(
    () => {
      throw new Error("expected a refusal");
    },
    (e: { code: string; message: string; fields: Record<string, string> }) => e,
  );

describe("who may book (是否公開 × 允許借用機關 × agency)", () => {
  // [public, scope, who, may book]
  const cases: [boolean, "all" | "own" | "listed", string, boolean][] = [
    [true, "all", "same agency", true],
    [true, "all", "other agency", true],
    [true, "own", "same agency", true],
    [true, "own", "other agency", false],
    [true, "own", "subordinate agency", false],
    [true, "listed", "same agency", true],
    [true, "listed", "listed agency", true],
    [true, "listed", "other agency", false],
    [false, "all", "same agency", false],
    [false, "all", "other agency", false],
    [false, "own", "same agency", false],
    [false, "own", "other agency", false],
    [false, "listed", "same agency", false],
    [false, "listed", "listed agency", false],
    [false, "listed", "other agency", false],
    [false, "all", "custodian", true],
    [false, "all", "admin of its agency", true],
    [false, "all", "admin of another agency", false],
  ];
  const who: Record<string, () => MadeAccount> = {
    "same agency": () => userA,
    "other agency": () => userC,
    "subordinate agency": () => userSub,
    "listed agency": () => userB,
    custodian: () => custodian,
    "admin of its agency": () => adminA,
    "admin of another agency": () => adminB,
  };
  it.each(cases)("public=%s scope=%s, %s → %s", async (isPublic, scope, person, may) => {
    const item = await venue({ isPublic, scope, listed: scope === "listed" ? [agencyB] : [] });
    const actor = as(who[person]!());
    const list = await c.services.bookings.listAvailability(actor, {
      kind: "venue",
      from: "2026-12-01",
      days: 1,
      q: item.name,
    });
    expect(list.items.map((i) => i.id).includes(item.id)).toBe(may);
    if (may) {
      await expect(req(actor, item.id, "2026-12-01T09:00", "2026-12-01T10:00")).resolves.toMatchObject({
        id: expect.any(Number),
      });
    } else {
      expect((await err(req(actor, item.id, "2026-12-01T09:00", "2026-12-01T10:00"))).code).toBe("not_found");
    }
  });
});

describe("request rules (BKG-1)", () => {
  it("refuses bad times and counts with zh-TW field messages and stores nothing", async () => {
    const item = await venue({ capacity: 10 });
    const cases: [string, string, Record<string, unknown>, string, string][] = [
      ["2026-12-01T11:00", "2026-12-01T10:00", {}, "endsAt", "結束時間必須晚於開始時間"],
      ["2026-11-30T08:00", "2026-11-30T08:30", {}, "startsAt", "開始時間已經過去，請選擇未來的時間"],
      ["2026-12-01T07:00", "2026-12-01T09:00", {}, "startsAt", "請在開放借用時間 08:00–18:00 內選擇"],
      ["2026-12-01T17:00", "2026-12-01T18:30", {}, "startsAt", "請在開放借用時間 08:00–18:00 內選擇"],
      ["2026-12-01T17:00", "2026-12-02T09:00", {}, "endsAt", "場地借用須在同一天內"],
      ["2026-12-01T09:00", "2026-12-01T10:00", { attendees: "11" }, "attendees", "使用人數超過容納人數 10 人"],
      ["2026-12-01T09:00", "2026-12-01T10:00", { attendees: "0" }, "attendees", "請填寫使用人數（正整數）"],
      ["2026-12-01T09:00", "2026-12-01T10:00", { reason: "   " }, "reason", "請填寫借用事由"],
      [
        "2026-12-01T09:00",
        "2026-12-01T10:00",
        { reason: "長".repeat(20_000) },
        "reason",
        "借用事由最多 500 個字（目前 20000 個字）",
      ],
      ["2026-02-30T09:00", "2026-12-01T10:00", {}, "startsAt", "請選擇開始時間"],
      ["2027-06-01T09:00", "2027-06-01T10:00", {}, "startsAt", "只能預約 180 天內的時段"],
      ["9999-12-01T09:00", "9999-12-01T10:00", {}, "startsAt", "只能預約 180 天內的時段"],
    ];
    for (const [s, e, extra, field, message] of cases) {
      const r = await err(req(as(userA), item.id, s, e, extra));
      expect(r.code, `${s} ${e}`).toBe("invalid");
      expect(r.fields[field], `${s} ${e} ${JSON.stringify(extra).slice(0, 40)}`).toBe(message);
    }
    expect(await c.db.selectFrom("bookings").select("id").where("item_id", "=", item.id).execute()).toHaveLength(0);
  });

  it("names every wrong field at once, keeps the form's summary, and refuses control characters", async () => {
    const item = await venue({ capacity: 10 });
    const r = await err(
      req(as(userA), item.id, "2026-12-01T11:00", "2026-12-01T10:00", { reason: "會議\u0007", attendees: "abc" }),
    );
    expect(r).toMatchObject({
      code: "invalid",
      message: "請修正標示的欄位。",
      fields: {
        endsAt: "結束時間必須晚於開始時間",
        reason: "借用事由含有無法使用的字元",
        attendees: "請填寫使用人數（正整數）",
      },
    });
    // A venue's form has no 乘客人數 or 司機: whatever comes in those fields is ignored.
    await expect(
      req(as(userA), item.id, "2026-12-01T09:00", "2026-12-01T10:00", { passengers: "x", driverId: "zz" }),
    ).resolves.toBeTruthy();
  });

  it("a decision names what to do: 核准 or 駁回, a reason to reject, a comment of at most 500 characters", async () => {
    const item = await venue();
    const b = await req(as(userA), item.id, "2026-12-01T14:00", "2026-12-01T15:00");
    const decide = (input: Record<string, unknown>) => err(c.services.bookings.decide(as(custodian), b.id, input));
    expect(await decide({ decision: "maybe" })).toMatchObject({
      message: "請選擇核准或駁回。",
      fields: { decision: "請選擇核准或駁回" },
    });
    expect(await decide({ decision: "reject", comment: " \r\n " })).toMatchObject({
      message: "駁回時請填寫審核說明。",
      fields: { comment: "請填寫駁回原因" },
    });
    expect(await decide({ decision: "approve", comment: "可".repeat(501) })).toMatchObject({
      message: "請修正標示的欄位。",
      fields: { comment: "審核說明最多 500 個字（目前 501 個字）" },
    });
    expect(
      (await err(c.services.bookings.decideBatch(as(custodian), ["x", null], { decision: "approve" }))).message,
    ).toBe("請勾選要審核的申請。");
    const row = await c.db.selectFrom("bookings").select("status").where("id", "=", b.id).executeTakeFirstOrThrow();
    expect(row.status).toBe("pending");
  });

  it("a venue booking may end exactly at closing time", async () => {
    const item = await venue();
    await expect(req(as(userA), item.id, "2026-12-01T17:00", "2026-12-01T18:00")).resolves.toBeTruthy();
  });

  it("a car booking may span days with pick-up and return inside bookable hours", async () => {
    const car = await makeItem(c, {
      kind: "car",
      agencyId: agencyA,
      siteId,
      custodians: [custodian.id],
      passengerLimit: 4,
    });
    const car2 = (extra: Record<string, unknown>, s = "2026-12-01T09:00", e = "2026-12-03T17:00") =>
      c.services.bookings.request(as(userA), {
        itemId: car.id,
        startsAt: s,
        endsAt: e,
        reason: "出差",
        passengers: "3",
        destination: "臺北",
        ...extra,
      });
    await expect(car2({})).resolves.toBeTruthy();
    expect((await err(car2({}, "2026-12-05T09:00", "2026-12-06T19:00"))).fields.endsAt).toBe(
      "還車時間須在開放借用時間 08:00–18:00 內",
    );
    expect((await err(car2({ passengers: "5" }, "2026-12-05T09:00", "2026-12-05T10:00"))).fields.passengers).toBe(
      "乘客人數超過上限 4 人",
    );
    expect((await err(car2({ destination: "" }, "2026-12-05T09:00", "2026-12-05T10:00"))).fields.destination).toBe(
      "請填寫目的地",
    );
  });
});

describe("never double-booked (BKG-2)", () => {
  it("refuses an overlap, naming only the clashing time; touching slots are fine", async () => {
    const item = await venue();
    await req(as(userA), item.id, "2026-12-01T09:00", "2026-12-01T10:00");
    const clash = await err(req(as(userB), item.id, "2026-12-01T09:30", "2026-12-01T11:00"));
    expect(clash.code).toBe("conflict");
    expect(clash.message).toBe("12/01 09:00–10:00 已有預約，請選擇其他時段。");
    expect(clash.message).not.toContain("甲同仁");
    await expect(req(as(userB), item.id, "2026-12-01T10:00", "2026-12-01T11:00")).resolves.toBeTruthy();
  });

  it("a driver is never dispatched twice at once, even with two cars", async () => {
    const driver = await makeItem(c, { kind: "driver", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const carX = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const carY = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const other = await makeItem(c, { kind: "driver", agencyId: agencyA, siteId, custodians: [custodian.id] });
    await c.db
      .insertInto("car_drivers")
      .values([
        { car_id: carX.id, driver_id: driver.id },
        { car_id: carY.id, driver_id: driver.id },
      ])
      .execute();
    const book = (car: number, driverId: number) =>
      c.services.bookings.request(as(userA), {
        itemId: car,
        startsAt: "2026-12-02T09:00",
        endsAt: "2026-12-02T12:00",
        reason: "會勘",
        passengers: "2",
        destination: "安平",
        driverId: String(driverId),
      });
    await book(carX.id, driver.id);
    const clash = await err(book(carY.id, driver.id));
    expect(clash.message).toBe("所選司機在 12/02 09:00–12:00 已有派遣，請改選時間或其他司機。");
    expect((await err(book(carY.id, other.id))).fields.driverId).toBe("此司機不屬於這輛公務車");
  });

  it("a driver's own visibility applies: one not dispatchable to me is neither offered nor accepted", async () => {
    const car = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const open = await makeItem(c, { kind: "driver", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const ownOnly = await makeItem(c, {
      kind: "driver",
      agencyId: agencyA,
      siteId,
      custodians: [custodian.id],
      scope: "own",
    });
    await c.db
      .insertInto("car_drivers")
      .values([
        { car_id: car.id, driver_id: open.id },
        { car_id: car.id, driver_id: ownOnly.id },
      ])
      .execute();
    const offered = (await c.services.bookings.itemForBooking(as(userC), car.id, "2026-12-02", 1)).drivers.map(
      (d) => d.id,
    );
    expect(offered).toEqual([open.id]);
    const book = (driverId: number) =>
      c.services.bookings.request(as(userC), {
        itemId: car.id,
        startsAt: "2026-12-08T09:00",
        endsAt: "2026-12-08T10:00",
        reason: "會勘",
        passengers: "1",
        destination: "新營",
        driverId: String(driverId),
      });
    expect((await err(book(ownOnly.id))).fields.driverId).toBe("此司機不屬於這輛公務車");
    await expect(book(open.id)).resolves.toBeTruthy();
    const sameAgency = (await c.services.bookings.itemForBooking(as(userA), car.id, "2026-12-02", 1)).drivers
      .map((d) => d.id)
      .sort();
    expect(sameAgency).toEqual([open.id, ownOnly.id].sort());
  });

  it("impossible dates in list filters fall back to today instead of failing", async () => {
    const r = await c.services.bookings.listAvailability(as(userA), { kind: "venue", from: "2026-13-45", days: 1 });
    expect(r.from).toBe("2026-11-30");
    await expect(c.services.bookings.reviewList(as(custodian), { date: "2026-02-30" })).resolves.toBeTruthy();
  });

  it("cancel frees the slot; rejected bookings do not hold it", async () => {
    const item = await venue();
    const first = await req(as(userA), item.id, "2026-12-01T13:00", "2026-12-01T14:00");
    await err(req(as(userB), item.id, "2026-12-01T13:00", "2026-12-01T14:00"));
    await c.services.bookings.cancel(as(userA), first.id);
    const second = await req(as(userB), item.id, "2026-12-01T13:00", "2026-12-01T14:00");
    await c.services.bookings.decide(as(custodian), second.id, { decision: "reject", comment: "場地維修" });
    await expect(req(as(userC), item.id, "2026-12-01T13:00", "2026-12-01T14:00")).resolves.toBeTruthy();
  });

  it("only the applicant cancels, and a started booking cannot be cancelled", async () => {
    const item = await venue();
    const b = await req(as(userA), item.id, "2026-12-01T15:00", "2026-12-01T16:00");
    expect((await err(c.services.bookings.cancel(as(userB), b.id))).code).toBe("not_found");
    await c.services.bookings.decide(as(custodian), b.id, { decision: "approve" });
    clock.set(new Date("2026-12-01T07:30:00Z")); // 15:30 Taipei on the day
    try {
      expect((await err(c.services.bookings.cancel(as(userA), b.id))).message).toBe("借用已開始，無法取消。");
    } finally {
      clock.set(new Date("2026-11-30T01:00:00Z"));
    }
  });
});

describe("review (BKG-3)", () => {
  it("a non-custodian cannot see or decide a booking (404), not even an admin of its agency", async () => {
    const item = await venue();
    const b = await req(as(userA), item.id, "2026-12-01T09:00", "2026-12-01T09:30");
    for (const other of [userB, userA, adminA]) {
      expect((await err(c.services.bookings.decide(as(other), b.id, { decision: "approve" }))).code).toBe("not_found");
      const list = await c.services.bookings.reviewList(as(other), {});
      expect(list.rows.map((r) => r.id)).not.toContain(b.id);
    }
    const mine = await c.services.bookings.reviewList(as(custodian), {});
    expect(mine.rows.map((r) => r.id)).toContain(b.id);
    expect(mine.status).toBe("pending");
  });

  it("when the other custodian has decided, the second decision is refused and nothing changes", async () => {
    const item = await venue();
    const b = await req(as(userA), item.id, "2026-12-01T11:00", "2026-12-01T12:00");
    await c.services.bookings.decide(as(custodian), b.id, { decision: "approve", comment: "同意" });
    const second = await err(
      c.services.bookings.decide(as(custodian2), b.id, { decision: "reject", comment: "不同意" }),
    );
    expect(second).toMatchObject({ code: "conflict", message: "此申請已是「已核准」，不需再審核。" });
    const row = await c.db.selectFrom("bookings").selectAll().where("id", "=", b.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "approved", decided_by: custodian.id, decision_comment: "同意" });
  });

  it("two custodians deciding at the same moment: exactly one decision applies", async () => {
    const item = await venue();
    const b = await req(as(userA), item.id, "2026-12-01T16:00", "2026-12-01T17:00");
    const results = await Promise.allSettled([
      c.services.bookings.decide(as(custodian), b.id, { decision: "approve" }),
      c.services.bookings.decide(as(custodian2), b.id, { decision: "reject", comment: "衝突" }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
  });

  it("a request whose time has begun cannot be approved, only rejected", async () => {
    const item = await venue();
    const b = await req(as(userA), item.id, "2026-11-30T11:00", "2026-11-30T12:00");
    clock.set(new Date("2026-11-30T03:30:00Z")); // 11:30 Taipei
    try {
      expect((await err(c.services.bookings.decide(as(custodian), b.id, { decision: "approve" }))).message).toBe(
        "借用時段已開始，無法核准；請駁回或請申請人重新申請。",
      );
      await c.services.bookings.decide(as(custodian), b.id, { decision: "reject", comment: "已逾時" });
    } finally {
      clock.set(new Date("2026-11-30T01:00:00Z"));
    }
  });

  it("reject needs a comment; a batch reports each booking", async () => {
    const item = await venue();
    const b1 = await req(as(userA), item.id, "2026-12-02T09:00", "2026-12-02T10:00");
    const b2 = await req(as(userA), item.id, "2026-12-02T10:00", "2026-12-02T11:00");
    const foreign = await req(
      as(userB),
      (await makeItem(c, { agencyId: agencyB, siteId, custodians: [adminB.id] })).id,
      "2026-12-02T09:00",
      "2026-12-02T10:00",
    );
    expect(
      (await err(c.services.bookings.decideBatch(as(custodian), [b1.id, b2.id], { decision: "reject" }))).fields
        .comment,
    ).toBe("請填寫駁回原因");
    await c.services.bookings.decide(as(custodian2), b2.id, { decision: "approve" });
    const results = await c.services.bookings.decideBatch(as(custodian), [b1.id, b2.id, foreign.id, "x'--"], {
      decision: "reject",
      comment: "時段保留給市長行程",
    });
    expect(results).toEqual([
      { id: b1.id, ok: true, message: "已駁回" },
      { id: b2.id, ok: false, message: "此申請已是「已核准」，不需再審核。" },
      { id: foreign.id, ok: false, message: "找不到資料，或您沒有權限審核。" },
    ]);
  });

  it("mails both custodians on a request and the applicant on the decision, after commit", async () => {
    await c.db
      .updateTable("accounts")
      .set({ needs_official_mail: true })
      .where("id", "in", [custodian.id, custodian2.id, userA.id])
      .execute();
    const item = await venue({ name: "第九會議室" });
    const b = await req(as(userA), item.id, "2026-12-03T09:00", "2026-12-03T10:00");
    await c.services.bookings.decide(as(custodian), b.id, { decision: "approve", comment: "請準時歸還" });
    await c.worker.drain();
    const mail = await c.db
      .selectFrom("dev_mailbox")
      .selectAll()
      .where("subject", "like", "%第九會議室%")
      .orderBy("id")
      .execute();
    expect(mail.map((m) => m.to_address).sort()).toEqual(
      [custodian, custodian2, userA].map((a) => `${a.username}@mail.tainan.gov.tw`).sort(),
    );
    expect(mail.find((m) => m.to_address.startsWith(userA.username))?.body).toContain("審核說明：請準時歸還");
  });

  it("a custodian booking their own item is not notified about it; the other custodian is", async () => {
    await c.db
      .updateTable("accounts")
      .set({ needs_official_mail: true })
      .where("id", "in", [custodian.id, custodian2.id])
      .execute();
    const item = await venue({ name: "自用會議室" });
    await c.services.bookings.request(as(custodian), {
      itemId: item.id,
      startsAt: "2026-12-03T13:00",
      endsAt: "2026-12-03T14:00",
      reason: "科務會議",
      attendees: "4",
    });
    await c.worker.drain();
    const mail = await c.db
      .selectFrom("dev_mailbox")
      .select("to_address")
      .where("subject", "like", "%自用會議室%")
      .execute();
    expect(mail.map((m) => m.to_address)).toEqual([`${custodian2.username}@mail.tainan.gov.tw`]);
  });

  it("home counts my pending bookings and what waits for my review", async () => {
    const fresh = await makeAccount(c, { unitId: (await makeUnit(c, agencyA)).id });
    const freshActor = (await signInAs(c, fresh)).actor;
    const item = await venue({ custodians: [fresh.id] });
    await req(as(userC), item.id, "2026-12-04T09:00", "2026-12-04T10:00");
    const home = await c.services.home.home(freshActor);
    expect(home.counts.find((x) => x.key === "bookings-review")?.count).toBe(1);
    const applicantHome = await c.services.home.home(as(userC));
    expect(applicantHome.counts.find((x) => x.key === "bookings-mine")?.count).toBeGreaterThanOrEqual(1);
  });
});

describe("never double-booked under concurrency", () => {
  it("40 simultaneous overlapping requests (from separate connections on PostgreSQL): exactly one holds the slot", async () => {
    const item = await venue();
    const containers = await otherAppServers();
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) =>
          containers[i % 4]!.services.bookings.request(as([userA, userB, userC][i % 3]!), {
            itemId: item.id,
            startsAt: `2026-12-05T${String(9 + (i % 3)).padStart(2, "0")}:00`,
            endsAt: "2026-12-05T12:30",
            reason: `並發 ${i}`,
            attendees: "3",
          }),
        ),
      );
      const ok = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason);
      expect(ok).toHaveLength(1);
      expect(refused).toHaveLength(39);
      for (const e of refused) expect(e).toMatchObject({ code: "conflict" });
      const held = await c.db
        .selectFrom("bookings")
        .select("id")
        .where("item_id", "=", item.id)
        .where("status", "in", ["pending", "approved"])
        .execute();
      expect(held).toHaveLength(1);
    } finally {
      await Promise.all(containers.map((x) => (x === c ? undefined : x.close())));
    }
  });
});

describe("a driver is never dispatched twice under concurrency", () => {
  it("20 simultaneous requests for one driver on different cars: exactly one holds the driver", async () => {
    const driver = await makeItem(c, { kind: "driver", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const cars = await Promise.all(
      Array.from({ length: 20 }, () =>
        makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [custodian.id] }),
      ),
    );
    await c.db
      .insertInto("car_drivers")
      .values(cars.map((car) => ({ car_id: car.id, driver_id: driver.id })))
      .execute();
    const containers = await otherAppServers();
    try {
      const results = await Promise.allSettled(
        cars.map((car, i) =>
          containers[i % 4]!.services.bookings.request(as(userA), {
            itemId: car.id,
            startsAt: "2026-12-09T09:00",
            endsAt: "2026-12-09T12:00",
            reason: `派遣 ${i}`,
            passengers: "1",
            destination: "安南",
            driverId: String(driver.id),
          }),
        ),
      );
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      for (const r of results.filter((x) => x.status === "rejected")) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          code: "conflict",
          message: "所選司機在 12/09 09:00–12:00 已有派遣，請改選時間或其他司機。",
        });
      }
    } finally {
      await Promise.all(containers.map((x) => (x === c ? undefined : x.close())));
    }
  });
});

/**
 * Four app servers on this file's database: on PostgreSQL each with its own pool, so the
 * requests really run side by side in separate sessions; on the embedded database (one
 * session, one app server by design, ADR 0001) the same container four times, so the requests
 * still interleave in the app and queue for the session.
 */
async function otherAppServers(): Promise<Container[]> {
  if (!process.env.DATABASE_URL) return [c, c, c, c];
  const url = await currentUrl();
  return Promise.all(Array.from({ length: 4 }, () => testContainerOn(url)));
}

async function currentUrl(): Promise<string> {
  const { sql } = await import("kysely");
  const r = await sql<{ db: string }>`SELECT current_database() AS db`.execute(c.db);
  const u = new URL(process.env.DATABASE_URL!);
  u.pathname = `/${r.rows[0]!.db}`;
  return u.toString();
}

/** A second container (own pool) on this file's database, as a second app server. */
async function testContainerOn(url: string): Promise<Container> {
  const { loadConfig } = await import("../../bff/config.js");
  const { createContainer } = await import("../../bff/container.js");
  const { openDatabase } = await import("../../db/index.js");
  const { silentLogger } = await import("../helpers/container.js");
  const db = await openDatabase({ databaseUrl: url, dataDir: "/nonexistent", poolMax: 5 });
  return createContainer(loadConfig({ NODE_ENV: "test", WORKER: "off", DATABASE_URL: url }), {
    db,
    clock,
    logger: silentLogger,
  });
}

describe("approvals inbox", () => {
  it("lists what waits for me newest first, counts it, and decides in batch with a result per entry", async () => {
    const reviewer = await makeAccount(c, { unitId: (await makeUnit(c, agencyA)).id });
    const reviewerActor = (await signInAs(c, reviewer)).actor;
    const item = await venue({ custodians: [reviewer.id], name: "收件匣會議室" });
    const first = await req(as(userA), item.id, "2026-12-07T09:00", "2026-12-07T10:00");
    clock.advance(60_000);
    const second = await req(as(userB), item.id, "2026-12-07T10:00", "2026-12-07T11:00");
    clock.advance(-60_000);
    const list = await c.services.inbox.list(reviewerActor);
    expect(list.map((e) => `${e.kind}:${e.id}`)).toEqual([`booking:${second.id}`, `booking:${first.id}`]);
    expect(list[0]).toMatchObject({
      kindLabel: "場地借用",
      title: "收件匣會議室",
      reason: "業務會議",
      href: `/reviews?focus=${second.id}`,
    });
    expect(await c.services.inbox.count(reviewerActor)).toBe(2);
    expect(await c.services.inbox.count(as(userC))).toBe(0);
    const results = await c.services.inbox.decideMany(
      reviewerActor,
      [`booking:${first.id}`, `booking:${second.id}`, "account:1", "nonsense"],
      { decision: "approve" },
    );
    expect(results).toEqual([
      { ref: `booking:${first.id}`, ok: true, message: "已核准" },
      { ref: `booking:${second.id}`, ok: true, message: "已核准" },
      { ref: "account:1", ok: false, message: "找不到資料，或您沒有權限審核。" },
      { ref: "nonsense", ok: false, message: "找不到資料，或您沒有權限審核。" },
    ]);
    expect(await c.services.inbox.count(reviewerActor)).toBe(0);
  });
});

describe("預約's list pages instead of stopping at a count (issue 18)", () => {
  it("pages through every venue in name order, with the total, and no page repeats one", async () => {
    const tag = `分頁${Date.now() % 100000}`;
    for (let i = 1; i <= 25; i++) await venue({ name: `${tag}會議室${String(i).padStart(2, "0")}` });
    const page = (n: number) =>
      c.services.bookings.listAvailability(as(userA), {
        kind: "venue",
        from: "2026-12-01",
        q: tag,
        limit: 10,
        page: n,
      });
    const [p1, p2, p3, p4] = await Promise.all([page(1), page(2), page(3), page(4)]);
    expect(p1.total).toBe(25);
    const seen = [...p1.items, ...p2.items, ...p3.items].map((i) => i.name);
    expect(seen).toHaveLength(25);
    expect(new Set(seen).size).toBe(25);
    expect(seen).toEqual([...seen].sort());
    expect(p4.items).toEqual([]);
    expect(p4.total).toBe(25);
  });
});

describe("taken ranges at the window's edges", () => {
  it("a car booking begun the day before is shown from the window's start, whole", async () => {
    const car = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [custodian.id] });
    const start = new Date("2026-12-09T14:00:00Z"); // 12-09 22:00 Taipei
    const end = new Date("2026-12-10T01:30:00Z"); // 12-10 09:30 Taipei
    await makeItemBooking(c, { itemId: car.id, applicantId: userA.id, start, end });
    const r = await c.services.bookings.listAvailability(as(userA), { kind: "car", from: "2026-12-10", q: car.name });
    expect(r.items[0]?.taken).toEqual([{ start: start.getTime(), end: end.getTime() }]);
  });
});
