import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { taipeiDayClock } from "../helpers/clock.js";
import { silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import { embeddedDatabase } from "../helpers/db.js";
import { makeAccount, makeAgency, makeItem, makeSite, makeUnit, type MadeAccount } from "../helpers/factory.js";
import { getAs, postAs, signInOverHttp } from "../helpers/http-session.js";

/**
 * ADR 0001: the embedded database (PGlite, what `npm start` opens without DATABASE_URL) under
 * the load a demo sees. With a pool of 10 over pglite-socket the connections' protocol messages
 * interleaved in the one PGlite session: 12 clients × 240 requests failed 17.5 % with
 * 「系統暫時發生問題」, a false 「找不到資料」, or another request's rows. Opened here
 * explicitly, whatever DATABASE_URL says.
 */
const CLIENTS = 12;
const REQUESTS_PER_CLIENT = 20; // 240 in all
const clock = taipeiDayClock("10:00");

let c: Container;
let server: { url: string; close(): Promise<void> };
let agencyId: number, siteId: number, unitId: number;
const clients: {
  account: MadeAccount;
  name: string;
  cookie: string;
  venueId: number;
  venueName: string;
  tag: string;
}[] = [];

beforeAll(async () => {
  c = await testContainer({ db: await embeddedDatabase(), clock });
  server = await startTestServer(c);
  agencyId = (await makeAgency(c, "嵌入式並行測試機關")).id;
  unitId = (await makeUnit(c, agencyId, "資訊科")).id;
  siteId = (await makeSite(c)).id;
  for (let i = 0; i < CLIENTS; i++) {
    const name = `並行使用者${i}`;
    const account = await makeAccount(c, { unitId, name });
    const venueName = `並行會議室${i}`;
    const venueId = (await makeItem(c, { agencyId, siteId, name: venueName, capacity: 20 })).id;
    clients.push({ account, name, cookie: "", venueId, venueName, tag: `並行${i}號` });
  }
  // Signed in over HTTP at once, as a room of users opening the demo would.
  const cookies = await Promise.all(clients.map((x) => signInOverHttp(server.url, x.account)));
  cookies.forEach((cookie, i) => {
    expect(cookie, `client ${i} signed in`).toMatch(/=/);
    clients[i]!.cookie = cookie;
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await c?.close();
});

const BROKEN = ["系統暫時發生問題", "找不到資料", "找不到這個頁面"];

/** One client's requests, one after another (as one browser tab), each checked for its content. */
async function drive(i: number): Promise<string[]> {
  const me = clients[i]!;
  const failures: string[] = [];
  let booked = 0;
  const fail = (what: string, res: Response, detail = "") =>
    failures.push(`client ${i} ${what}: ${res.status} ${detail}`);
  const page = async (path: string, marker: string) => {
    const res = await getAs(server.url, me.cookie, path);
    const html = await res.text();
    if (res.status !== 200 || !html.includes(marker) || BROKEN.some((b) => html.includes(b)))
      fail(`GET ${path}`, res, html.slice(0, 200));
  };
  const steps: (() => Promise<void>)[] = [
    () => page("/", me.name),
    () => page("/book", "預約 | 臺南市政府公務入口網"),
    () => page(`/book/${me.venueId}`, me.venueName),
    async () => {
      const path = `/book/${me.venueId}?_data=${encodeURIComponent("routes/_app.book.$itemId")}`;
      const res = await getAs(server.url, me.cookie, path);
      const body = res.status === 200 ? ((await res.json()) as { item?: { id: number; name: string } }) : undefined;
      if (body?.item?.id !== me.venueId || body.item.name !== me.venueName)
        fail(`GET ${path}`, res, JSON.stringify(body));
    },
    async () => {
      // A free slot of its own: day 1+k, 09:00–10:00 on this client's room.
      const k = booked;
      const res = await postAs(
        server.url,
        me.cookie,
        `/book/${me.venueId}`,
        new URLSearchParams({
          date: clock.day(1 + k),
          start: "09:00",
          end: "10:00",
          reason: `${me.tag}第${k}筆`,
          attendees: "3",
        }),
      );
      if (res.status === 302 && res.headers.get("location") === "/book/mine?created=1") booked++;
      else fail(`POST /book/${me.venueId}`, res, (await res.text()).slice(0, 200));
    },
    async () => {
      // Exactly this client's bookings: another request's parameters would show here.
      const path = `/book/mine?_data=${encodeURIComponent("routes/_app.book.mine")}`;
      const res = await getAs(server.url, me.cookie, path);
      const body = res.status === 200 ? ((await res.json()) as { bookings?: { reason: string }[] }) : undefined;
      const reasons = body?.bookings?.map((b) => b.reason) ?? [];
      if (reasons.length !== booked || !reasons.every((r) => r.startsWith(me.tag)))
        fail(`GET ${path}`, res, `${booked} booked, got ${JSON.stringify(reasons)}`);
    },
    () => page("/book/mine", booked > 0 ? `${me.tag}第0筆` : "場地及公務車申請紀錄"),
    () => page("/reviews", "審核"),
  ];
  for (let n = 0; n < REQUESTS_PER_CLIENT; n++) {
    try {
      await steps[(n + i) % steps.length]!();
    } catch (e) {
      failures.push(`client ${i} step ${n}: ${(e as Error).message}`);
    }
  }
  return failures;
}

describe("the embedded database under concurrent signed-in users", () => {
  it(`${CLIENTS} clients × ${REQUESTS_PER_CLIENT} mixed requests (pages, ?_data loaders, booking POSTs): none fails`, async () => {
    const failures = (await Promise.all(clients.map((_, i) => drive(i)))).flat();
    expect(failures).toEqual([]);
    expect(silentLogger.errors).toEqual([]);
    // Every POST landed once, with its own parameters.
    const rows = await c.db.selectFrom("bookings").select(["reason", "item_id", "applicant_id"]).execute();
    for (const [i, me] of clients.entries()) {
      const mine = rows.filter((r) => r.applicant_id === me.account.id);
      expect(mine.length, `client ${i}`).toBeGreaterThan(0);
      expect(
        mine.every((r) => r.item_id === me.venueId && r.reason.startsWith(me.tag)),
        `client ${i}`,
      ).toBe(true);
    }
  }, 60_000);

  it("the same slot requested by every client at once: exactly one 「申請已送出」, the rest 409 「已有預約」", async () => {
    const venue = await makeItem(c, { agencyId, siteId, name: "搶手會議室", capacity: 20 });
    const form = (i: number) =>
      new URLSearchParams({ date: clock.day(3), start: "14:00", end: "15:00", reason: `搶位${i}`, attendees: "3" });
    const responses = await Promise.all(
      clients.map(async (x, i) => {
        const res = await postAs(server.url, x.cookie, `/book/${venue.id}`, form(i));
        return { i, status: res.status, location: res.headers.get("location"), html: await res.text() };
      }),
    );
    const accepted = responses.filter((r) => r.status === 302);
    expect(accepted, JSON.stringify(responses.map((r) => r.status))).toHaveLength(1);
    expect(accepted[0]!.location).toBe("/book/mine?created=1");
    for (const r of responses.filter((x) => x.status !== 302)) {
      expect(r.status, `client ${r.i}`).toBe(409);
      expect(r.html, `client ${r.i}`).toContain("已有預約，請選擇其他時段。");
    }
    const winner = clients[accepted[0]!.i]!;
    const shown = await (await getAs(server.url, winner.cookie, "/book/mine?created=1")).text();
    expect(shown).toContain("申請已送出");
    const held = await c.db.selectFrom("bookings").select("id").where("item_id", "=", venue.id).execute();
    expect(held).toHaveLength(1);
    expect(silentLogger.errors).toEqual([]);
  }, 30_000);
});
