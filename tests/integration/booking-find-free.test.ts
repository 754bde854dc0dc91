import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { startOfTaipeiDay } from "../../bff/time.js";
import { taipeiDayClock } from "../helpers/clock.js";
import { silentLogger, startTestServer, testContainer } from "../helpers/container.js";
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
import { getAs, signInOverHttp } from "../helpers/http-session.js";

/**
 * 找空場地 (issue 18 item 2): the venues free for the whole range that the person may book,
 * open for all of it and big enough, the smallest that fits first.
 */
const clock = taipeiDayClock("09:00");
const day = clock.day(1);
const at = (hhmm: string) =>
  new Date(startOfTaipeiDay(day).getTime() + (Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3))) * 60_000);
let c: Container;
let server: { url: string; close(): Promise<void> };
let user: MadeAccount;
let actor: Actor;
let cookie: string;
const ids: Record<string, number> = {};
let siteA: number, siteB: number;

beforeAll(async () => {
  c = await testContainer({ clock });
  server = await startTestServer(c);
  const agency = (await makeAgency(c, "空檔局")).id;
  const other = (await makeAgency(c, "他局")).id;
  user = await makeAccount(c, { unitId: (await makeUnit(c, agency)).id, name: "找空者" });
  actor = (await signInAs(c, user)).actor;
  cookie = await signInOverHttp(server.url, user);
  siteA = (await makeSite(c, "永華")).id;
  siteB = (await makeSite(c, "民治")).id;
  const venue = (name: string, capacity: number, o: Partial<Parameters<typeof makeItem>[1]> = {}) =>
    makeItem(c, { agencyId: agency, siteId: siteA, name, capacity, ...o }).then((i) => (ids[name] = i.id));
  await venue("小會議室", 10);
  await venue("中會議室", 30);
  await venue("大禮堂", 200);
  await venue("民治會議室", 25, { siteId: siteB });
  await venue("早上才開", 40, { openFrom: "08:00", openTo: "12:00" });
  await venue("已核准占用", 22);
  await venue("待審占用", 23);
  await venue("取消的不算", 24);
  await venue("他局不公開", 21, { agencyId: other, isPublic: false });
  const book = (name: string, from: string, to: string, status: "approved" | "pending" | "cancelled") =>
    makeItemBooking(c, { itemId: ids[name]!, applicantId: user.id, start: at(from), end: at(to), status });
  await book("已核准占用", "15:30", "16:30", "approved");
  await book("待審占用", "13:00", "14:30", "pending");
  await book("取消的不算", "14:00", "16:00", "cancelled");
  // Touching ranges are not overlaps: [12:00, 14:00) then [16:00, 17:00).
  await book("中會議室", "12:00", "14:00", "approved");
  await book("中會議室", "16:00", "17:00", "approved");
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const find = (q: Record<string, string>) =>
  c.services.bookings.findFree(actor, { kind: "venue", date: day, start: "14:00", end: "16:00", ...q });
const names = (rows: { name: string }[]) => rows.map((r) => r.name);

describe("找空場地", () => {
  it("lists what is free, open and big enough for the whole range, the smallest that fits first", async () => {
    const r = await find({ people: "20" });
    expect(names(r.rows)).toEqual(["取消的不算", "民治會議室", "中會議室", "大禮堂"]);
    expect(r.total).toBe(4);
  });

  it("without a head count, every free venue, smallest first; a site narrows it", async () => {
    expect(names((await find({})).rows)).toEqual(["小會議室", "取消的不算", "民治會議室", "中會議室", "大禮堂"]);
    expect(names((await find({ siteId: String(siteB) })).rows)).toEqual(["民治會議室"]);
  });

  it("a morning range finds the morning-only venue; the pending and approved holds stay out", async () => {
    const r = await find({ start: "09:00", end: "11:00", people: "35" });
    expect(names(r.rows)).toEqual(["早上才開", "大禮堂"]);
    const busy = await find({ start: "13:30", end: "15:45" });
    expect(names(busy.rows)).not.toContain("待審占用");
    expect(names(busy.rows)).not.toContain("已核准占用");
  });

  it("refuses bad input with a zh-TW message on the field", async () => {
    const refusal = (q: Record<string, string>) =>
      find(q).then(
        () => null,
        (e: { code: string; fields: Record<string, string> }) => ({ code: e.code, fields: Object.keys(e.fields) }),
      );
    expect(await refusal({ start: "16:00", end: "14:00" })).toEqual({ code: "invalid", fields: ["end"] });
    expect(await refusal({ date: "2026-02-30" })).toEqual({ code: "invalid", fields: ["date"] });
    expect(await refusal({ people: "0" })).toEqual({ code: "invalid", fields: ["people"] });
    expect(await refusal({ start: "25:00" })).toEqual({ code: "invalid", fields: ["start"] });
    expect(await refusal({ date: clock.day(-1) })).toEqual({ code: "invalid", fields: ["start"] });
    expect(await refusal({ date: clock.day(400) })).toEqual({ code: "invalid", fields: ["date"] });
  });

  it("the page: results link to a prefilled request; bad input is a 400 that keeps what was typed", async () => {
    const ok = await getAs(server.url, cookie, `/book/free?kind=venue&date=${day}&start=14:00&end=16:00&people=20`);
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toContain("可借用的場地");
    expect(html).toContain(`/book/${ids["中會議室"]}?date=${day}&amp;start=14%3A00&amp;end=16%3A00&amp;people=20`);
    const bad = await getAs(server.url, cookie, `/book/free?date=${day}&start=16:00&end=14:00&people=20`);
    expect(bad.status).toBe(400);
    const badHtml = await bad.text();
    expect(badHtml).toContain("結束時間必須晚於開始時間");
    expect(badHtml).toMatch(/name="people"[^>]*value="20"|value="20"[^>]*name="people"/);
    const form = await getAs(
      server.url,
      cookie,
      `/book/${ids["中會議室"]}?date=${day}&start=14:00&end=16:00&people=20`,
    );
    expect(await form.text()).toMatch(/name="attendees"[^>]*value="20"|value="20"[^>]*name="attendees"/);
  });

  it("never answers 5xx for generated query strings", { timeout: 30_000 }, async () => {
    const junk = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", "-1", "9999", "24:00", "1e9", day));
    const q = fc.record({ kind: junk, date: junk, start: junk, end: junk, people: junk, siteId: junk, page: junk });
    for (const s of fc.sample(q, { numRuns: 60, seed: 18 })) {
      const res = await getAs(server.url, cookie, `/book/free?${new URLSearchParams(s)}&_data=routes%2F_app.book.free`);
      expect([200, 400]).toContain(res.status);
      await res.text();
    }
    expect(silentLogger.errors).toEqual([]);
  });
});
