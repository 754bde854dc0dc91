import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { parseTaipeiLocal } from "../../bff/time.js";
import { taipeiDayClock } from "../helpers/clock.js";
import { silentLogger, startTestServer, testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";
import { postData, redirectOf } from "../helpers/http-session.js";

/** Generated-input tests send 100-150 requests; on a loaded CI machine that outlasts the default 30 s. */
const MANY_REQUESTS_TIMEOUT = 120_000;
/** Of the generated forms, every RENDERED-th is also posted as a document, its answer page rendered. */
const RENDERED = 10;
/** Of the generated query strings, every QUERY_RENDERED-th also opens the four pages rendered. */
const QUERY_RENDERED = 5;

/**
 * The booking and review screens over HTTP: whatever a form posts, the answer is a 4xx
 * with a zh-TW message (or a 404 page), never a 5xx, and no booking is created or changed.
 *
 * Generated forms go as Remix data requests (what the hydrated page's <Form> sends): the
 * whole HTTP edge and the route's action run, the page is not rendered. Every RENDERED-th
 * one also goes as a plain document POST, so the answer pages with odd typed values render.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
let custodian: MadeAccount, applicant: MadeAccount, outsider: MadeAccount;
let venueId: number, hiddenVenueId: number, driverItemId: number, carId: number;
let pendingId: number, othersPendingId: number;
let cookies: { custodian: string; applicant: string; outsider: string };
// The server's clock starts at 10:00 (Taipei) whatever the hour of the run.
const clock = taipeiDayClock("10:00");
const tomorrow = clock.day(1);
const yesterday = clock.day(-1);

const post = (path: string, body: string, cookie: string) =>
  fetch(server.url + path, {
    method: "POST",
    redirect: "manual",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Origin: server.url, Cookie: cookie },
    body,
  });

async function signIn(a: MadeAccount): Promise<string> {
  const res = await post(
    "/login",
    new URLSearchParams({ username: a.username, password: a.password, redirectTo: "/" }).toString(),
    "",
  );
  expect(res.status).toBe(302);
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

/** Every booking and every queued job, as they are: "nothing changed" means equal snapshots. */
async function snapshot() {
  const bookings = await c.db.selectFrom("bookings").selectAll().orderBy("id").execute();
  const jobs = await c.db.selectFrom("jobs").select(c.db.fn.countAll<number>().as("n")).executeTakeFirstOrThrow();
  return JSON.stringify({ bookings, jobs: Number(jobs.n) });
}

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
const body = (fields: Record<string, string | string[]>) =>
  Object.entries(fields)
    .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}=${encodeRaw(x)}`))
    .join("&");

const FORM_MESSAGES = [
  "請修正標示的欄位。",
  "已有預約，請選擇其他時段。",
  "請選擇核准或駁回。",
  "駁回時請填寫審核說明。",
  "審核說明請在 500 字以內。",
  "請勾選要審核的申請。",
  "無法處理這個請求，請重新整理頁面。",
  "批次審核完成：成功 0 筆",
  "不需再審核",
  "無法取消",
];

/** A 4xx with one of the screens' zh-TW messages, or the 404 page. Never a 5xx. */
async function expectRefused(res: Response, label: string) {
  if (res.headers.get("x-remix-response") || res.headers.get("x-remix-catch")) return expectRefusedData(res, label);
  const html = await res.text();
  expect(res.status, label).toBeGreaterThanOrEqual(400);
  expect(res.status, label).toBeLessThan(500);
  expect(res.headers.get("location"), label).toBeNull();
  if (res.status === 404) expect(html, label).toContain("找不到這個頁面");
  else
    expect(
      FORM_MESSAGES.some((m) => html.includes(m)),
      `${label}: ${res.status}`,
    ).toBe(true);
  return { status: res.status, html };
}

/** expectRefused for a data request: the action's JSON with a zh-TW message, or a caught 404. */
async function expectRefusedData(res: Response, label: string) {
  const text = await res.text();
  expect(res.status, `${label}: ${text.slice(0, 200)}`).toBeGreaterThanOrEqual(400);
  expect(res.status, label).toBeLessThan(500);
  expect(redirectOf(res), label).toBeNull();
  if (res.status === 404) {
    expect(res.headers.get("x-remix-catch"), label).toBe("yes");
    expect(text, label).toMatch(/找不到|沒有權限/);
  } else
    expect(
      FORM_MESSAGES.some((m) => text.includes(m)),
      `${label}: ${res.status} ${text.slice(0, 200)}`,
    ).toBe(true);
  return { status: res.status, html: text };
}

const ROUTE = {
  book: "routes/_app.book.$itemId",
  reviews: "routes/_app.reviews",
  mine: "routes/_app.book.mine",
} as const;

/**
 * Posts each generated form as a data request, and every RENDERED-th also as a document;
 * `check` asserts on both answers.
 */
async function postEach<T>(
  samples: T[],
  request: (s: T) => { path: string; route: string; body: string; cookie: string },
  check: (res: Response, s: T) => Promise<unknown>,
) {
  for (const [i, s] of samples.entries()) {
    const { path, route, body: form, cookie } = request(s);
    await check(await postData(server.url, cookie, path, route, form), s);
    if (i % RENDERED === 0) await check(await post(path, form, cookie), s);
  }
}

beforeAll(async () => {
  c = await testContainer({ clock });
  server = await startTestServer(c);
  const agency = await makeAgency(c, "路由測試機關");
  const otherAgency = await makeAgency(c, "他機關");
  const unit = await makeUnit(c, agency.id, "行政科");
  custodian = await makeAccount(c, { unitId: unit.id, name: "保管人" });
  applicant = await makeAccount(c, { unitId: unit.id, name: "申請人" });
  outsider = await makeAccount(c, { unitId: (await makeUnit(c, otherAgency.id)).id, name: "外機關" });
  const site = await makeSite(c);
  venueId = (await makeItem(c, { agencyId: agency.id, siteId: site.id, custodians: [custodian.id], capacity: 20 })).id;
  hiddenVenueId = (
    await makeItem(c, { agencyId: otherAgency.id, siteId: site.id, scope: "own", custodians: [outsider.id] })
  ).id;
  driverItemId = (await makeItem(c, { kind: "driver", agencyId: agency.id, siteId: site.id })).id;
  carId = (await makeItem(c, { kind: "car", agencyId: agency.id, siteId: site.id, custodians: [custodian.id] })).id;
  const { actor } = await signInAs(c, applicant);
  pendingId = (
    await c.services.bookings.request(actor, {
      itemId: venueId,
      startsAt: `${tomorrow}T09:00`,
      endsAt: `${tomorrow}T10:00`,
      reason: "既有申請",
      attendees: "3",
    })
  ).id;
  const { actor: other } = await signInAs(c, outsider);
  othersPendingId = (
    await c.services.bookings.request(other, {
      itemId: hiddenVenueId,
      startsAt: `${tomorrow}T09:00`,
      endsAt: `${tomorrow}T10:00`,
      reason: "他機關申請",
      attendees: "3",
    })
  ).id;
  cookies = {
    custodian: await signIn(custodian),
    applicant: await signIn(applicant),
    outsider: await signIn(outsider),
  };
  silentLogger.errors.length = 0;
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

// --- Generators -----------------------------------------------------------------------

const control = fc.string({
  unit: fc.constantFrom("\u0000", "\u0001", "\u0008", "\u001b", "\u001f", "\u007f", "\t", "\r\n", " "),
  minLength: 1,
  maxLength: 30,
});
const junk = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 30 }),
  control,
  fc.constantFrom(
    "",
    " ",
    "\ud800",
    "25:00",
    "10:60",
    "1000",
    "10-00",
    "10:00:00",
    "' OR 1=1 --",
    "2026-02-30",
    "x".repeat(20_000),
  ),
);
const shortJunk = junk.filter((s) => s.length < 1000);
/** Would the service read it as one of this test's small record ids? Then it is not forged. */
const smallId = (s: string) => /^\d{1,9}$/.test(s.trim()) && Number(s.trim()) < 100_000;
const forgedJunk = junk.filter((s) => !smallId(s));
const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
/** Start and end inside 08:00–18:00, start before end. */
const validSlot = fc
  .tuple(fc.integer({ min: 8 * 4, max: 17 * 4 }), fc.integer({ min: 1, max: 8 }))
  .map(([q, len]) => ({ start: hhmm(q * 15), end: hhmm(Math.min(18 * 60, q * 15 + len * 15)) }));
const base = (slot: { start: string; end: string }) => ({
  date: tomorrow,
  start: slot.start,
  end: slot.end,
  reason: "科務會議",
  attendees: "5",
});

/** A venue request with at least one certain flaw. */
const badVenueRequest = fc.oneof(
  // end before (or at) start
  fc.tuple(fc.integer({ min: 8 * 2 + 1, max: 18 * 2 }), fc.integer({ min: 0, max: 6 })).map(([s, back]) => ({
    ...base({ start: hhmm(s * 30), end: hhmm(Math.max(8 * 60, s * 30 - back * 30)) }),
    why: "end<=start",
  })),
  // garbage start or end time that does not make a real time
  fc
    .tuple(validSlot, junk, fc.boolean())
    .filter(([, g]) => parseTaipeiLocal(`${tomorrow}T${g}`) === null)
    .map(([slot, g, atStart]) => ({ ...base(slot), ...(atStart ? { start: g } : { end: g }), why: "garbage time" })),
  // garbage date
  fc
    .tuple(validSlot, junk)
    .filter(([slot, g]) => parseTaipeiLocal(`${g}T${slot.start}`) === null)
    .map(([slot, g]) => ({ ...base(slot), date: g, why: "garbage date" })),
  // a 20,000-character reason (of anything, control characters included)
  fc
    .tuple(validSlot, fc.constantFrom("借", "a", "\u0000", " ", "\ud83d\ude00"))
    .map(([slot, ch]) => ({ ...base(slot), reason: ch.repeat(20_000), why: "20,000-char reason" })),
  // a reason of control characters and spaces only
  fc.tuple(validSlot, control).map(([slot, r]) => ({ ...base(slot), reason: r, why: "control-char reason" })),
  // attendees that are not a positive count within capacity
  fc
    .tuple(validSlot, fc.oneof(junk, fc.constantFrom("0", "-1", "21", "1e2", "3.5", "999999")))
    .filter(([, a]) => !(/^\d{1,6}$/.test(a.trim()) && Number(a.trim()) > 0 && Number(a.trim()) <= 20))
    .map(([slot, a]) => ({ ...base(slot), attendees: a, why: "attendees" })),
  // in the past, or outside bookable hours
  validSlot.map((slot) => ({ ...base(slot), date: yesterday, why: "past" })),
  fc.constantFrom(
    { ...base({ start: "06:00", end: "07:00" }), why: "before opening" },
    { ...base({ start: "17:30", end: "19:00" }), why: "after closing" },
  ),
);

describe("bad input at the booking action (/book/:itemId)", () => {
  it(
    "refuses 150 generated bad venue requests with 400 and a zh-TW message; nothing is created",
    { timeout: MANY_REQUESTS_TIMEOUT },
    async () => {
      const before = await snapshot();
      const samples = fc.sample(badVenueRequest, { numRuns: 150, seed: 20261130 });
      expect(samples.length).toBeGreaterThanOrEqual(100);
      await postEach(
        samples,
        ({ why: _, ...fields }) => ({
          path: `/book/${venueId}`,
          route: ROUTE.book,
          body: body(fields),
          cookie: cookies.applicant,
        }),
        async (res, { why, ...fields }) => {
          const { status } = await expectRefused(res, `${why}: ${JSON.stringify(fields).slice(0, 120)}`);
          expect(status, why).toBe(400);
        },
      );
      expect(await snapshot()).toBe(before);
      expect(silentLogger.errors).toEqual([]);
    },
  );

  it("a clash is a 409 naming the time, keeps the typed reason and creates nothing", async () => {
    const before = await snapshot();
    const res = await post(
      `/book/${venueId}`,
      body({ date: tomorrow, start: "09:30", end: "10:30", reason: "重疊的申請<b>", attendees: "4" }),
      cookies.applicant,
    );
    const { status, html } = await expectRefused(res, "clash");
    expect(status).toBe(409);
    const [, mm, dd] = tomorrow.split("-");
    expect(html).toContain(`${mm}/${dd} 09:00–10:00 已有預約，請選擇其他時段。`);
    expect(html).toContain("重疊的申請&lt;b&gt;");
    expect(await snapshot()).toBe(before);
  });

  it(
    "refuses 120 forged item ids (absent, out of scope, a driver, junk) with 404; nothing is created",
    { timeout: MANY_REQUESTS_TIMEOUT },
    async () => {
      const before = await snapshot();
      const ids = fc.sample(
        fc.oneof(
          fc.integer({ min: 100_000, max: 999_999_999 }).map(String),
          fc.constantFrom(String(hiddenVenueId), String(driverItemId), "0", "-1", "1e3", "0x10", "9999999999"),
          fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !/^\s*\d+\s*$/.test(s) && s !== "mine" && s !== "."),
        ),
        { numRuns: 120, seed: 7 },
      );
      const valid = body({ date: tomorrow, start: "14:00", end: "15:00", reason: "偽造編號", attendees: "2" });
      await postEach(
        ids,
        (id) => ({ path: `/book/${encodeRaw(id)}`, route: ROUTE.book, body: valid, cookie: cookies.applicant }),
        async (res, id) => expect((await expectRefused(res, JSON.stringify(id))).status).toBe(404),
      );
      expect(await snapshot()).toBe(before);
      expect(silentLogger.errors).toEqual([]);
    },
  );

  it("a car request with a forged driver, bad passengers or no destination is a 400", async () => {
    const before = await snapshot();
    const car = { startDate: tomorrow, startTime: "09:00", endDate: tomorrow, endTime: "12:00", reason: "洽公" };
    const cases = fc.sample(
      fc.oneof(
        fc.record({
          passengers: fc.constant("2"),
          destination: fc.constant("安平區"),
          driverId: fc.oneof(junk, fc.constantFrom("999999", String(driverItemId))),
        }),
        fc.record({
          passengers: junk.filter(
            (p) => !(/^\d{1,6}$/.test(p.trim()) && Number(p.trim()) > 0 && Number(p.trim()) <= 4),
          ),
          destination: fc.constant("安平區"),
          driverId: fc.constant(""),
        }),
        fc.record({ passengers: fc.constant("2"), destination: control, driverId: fc.constant("") }),
      ),
      { numRuns: 40, seed: 11 },
    );
    await postEach(
      cases,
      (extra) => ({
        path: `/book/${carId}`,
        route: ROUTE.book,
        body: body({ ...car, ...extra }),
        cookie: cookies.applicant,
      }),
      async (res, extra) => {
        const { status } = await expectRefused(res, JSON.stringify(extra).slice(0, 100));
        expect(status).toBe(400);
      },
    );
    expect(await snapshot()).toBe(before);
  });
});

describe("bad input at the review action (/reviews)", () => {
  const notDecision = junk.filter((d) => d !== "approve" && d !== "reject");
  const longComment = fc
    .tuple(fc.integer({ min: 501, max: 20_000 }), fc.constantFrom("審", "a", "\ud83d\ude00"))
    .map(([n, ch]) => ch.repeat(n));
  const forgedId = fc.oneof(
    fc.integer({ min: 100_000, max: 999_999_999 }).map(String),
    fc.constantFrom(String(othersPendingId), "0", "-1", "abc", "1;DROP TABLE bookings", "\u0000"),
    forgedJunk,
  );

  /** Cases with a certain flaw; the real pending booking only ever with a bad decision or comment. */
  const badReview = fc.oneof(
    fc.record({
      intent: fc.constant("decide"),
      id: fc.constant(String(pendingId)),
      decision: notDecision,
      comment: junk,
    }),
    fc.record({
      intent: fc.constant("decide"),
      id: fc.constant(String(pendingId)),
      decision: fc.constant("reject"),
      comment: fc.oneof(fc.constant(""), control),
    }),
    fc.record({
      intent: fc.constant("decide"),
      id: fc.constant(String(pendingId)),
      decision: fc.constantFrom("approve", "reject"),
      comment: longComment,
    }),
    fc.record({
      intent: fc.constant("decide"),
      id: forgedId,
      decision: fc.constantFrom("approve", "reject"),
      comment: fc.constant("可"),
    }),
    fc.record({
      intent: fc.constant("batch"),
      ids: fc.array(forgedId, { maxLength: 5 }),
      decision: fc.constantFrom("approve", "reject"),
      comment: fc.constant("可"),
    }),
    fc.record({
      intent: fc.constant("batch"),
      ids: fc.constant([String(pendingId)]),
      decision: notDecision,
      comment: junk,
    }),
    fc.record({
      intent: fc.constant("batch"),
      ids: fc.constant([String(pendingId), "x"]),
      decision: fc.constant("reject"),
      comment: fc.oneof(fc.constant(""), control),
    }),
    fc.record({
      intent: junk.filter((i) => i !== "decide" && i !== "batch"),
      id: fc.constant(String(pendingId)),
      decision: fc.constant("approve"),
      comment: fc.constant(""),
    }),
  );

  it(
    "refuses 150 generated bad decisions with a 4xx and a zh-TW message; nothing changes",
    { timeout: MANY_REQUESTS_TIMEOUT },
    async () => {
      const before = await snapshot();
      const samples = fc.sample(badReview, { numRuns: 150, seed: 1129 });
      await postEach(
        samples,
        (s) => ({
          path: "/reviews",
          route: ROUTE.reviews,
          body: body(s as Record<string, string | string[]>),
          cookie: cookies.custodian,
        }),
        (res, s) => expectRefused(res, JSON.stringify(s).slice(0, 120)),
      );
      expect(await snapshot()).toBe(before);
      expect(silentLogger.errors).toEqual([]);
    },
  );

  it("someone who does not hold the item gets a 404 for its booking, even with a valid decision", async () => {
    const before = await snapshot();
    for (const cookie of [cookies.applicant, cookies.outsider]) {
      const res = await post(
        "/reviews",
        body({ intent: "decide", id: String(pendingId), decision: "approve", comment: "" }),
        cookie,
      );
      expect((await expectRefused(res, "not held")).status).toBe(404);
      const batch = await post(
        "/reviews",
        body({ intent: "batch", ids: [String(pendingId)], decision: "approve", comment: "" }),
        cookie,
      );
      const { status, html } = await expectRefused(batch, "batch not held");
      expect(status).toBe(409);
      expect(html).toContain("找不到資料，或您沒有權限審核。");
    }
    expect(await snapshot()).toBe(before);
  });
});

describe("bad input at the cancel action (/book/mine)", () => {
  it(
    "refuses 100 forged or foreign booking ids and bad intents; nothing changes",
    { timeout: MANY_REQUESTS_TIMEOUT },
    async () => {
      const before = await snapshot();
      const cases = fc.sample(
        fc.oneof(
          fc.record({
            intent: fc.constant("cancel"),
            id: fc.oneof(fc.integer({ min: 100_000, max: 999_999_999 }).map(String), forgedJunk),
          }),
          // somebody else's booking, seen from the applicant and from the custodian
          fc.record({ intent: fc.constant("cancel"), id: fc.constant(String(othersPendingId)) }),
          fc.record({ intent: junk.filter((i) => i !== "cancel"), id: fc.constant(String(pendingId)) }),
        ),
        { numRuns: 100, seed: 3 },
      );
      for (const cookie of [cookies.applicant, cookies.custodian])
        await postEach(
          cases,
          (s) => ({ path: "/book/mine", route: ROUTE.mine, body: body(s), cookie }),
          (res, s) => expectRefused(res, JSON.stringify(s).slice(0, 100)),
        );
      expect(await snapshot()).toBe(before);
    },
  );
});

describe("odd query strings at the loaders", () => {
  it(
    "never answers 5xx for 100 generated query strings on /book, /book/:id and /reviews",
    { timeout: MANY_REQUESTS_TIMEOUT },
    async () => {
      // (20,000 characters in a URL is Node's 431, not ours: query strings stay short here.)
      const junk = shortJunk;
      const q = fc.record({
        kind: junk,
        date: fc.oneof(junk, fc.constantFrom("2026-02-30", "9999-12-31", "0000-01-01", "2026-13-01", yesterday)),
        q: junk,
        view: junk,
        status: junk,
        page: fc.oneof(junk, fc.constantFrom("-1", "0", "1e9", "99999999999999999999")),
        start: junk,
        end: junk,
        focus: junk,
      });
      const pages = [
        ["/book", "routes/_app.book._index"],
        [`/book/${venueId}`, ROUTE.book],
        ["/reviews", ROUTE.reviews],
        ["/book/mine", ROUTE.mine],
      ];
      for (const [i, s] of fc.sample(q, { numRuns: 100, seed: 5 }).entries()) {
        const qs = body(s);
        // Each loader as a data request (it parses the query string; no render), every
        // QUERY_RENDERED-th string also as the page, rendered with what the loader made of it.
        const urls = pages.flatMap(([path, route]) => [
          `${path}?${qs}&_data=${encodeURIComponent(route!)}`,
          ...(i % QUERY_RENDERED === 0 ? [`${path}?${qs}`] : []),
        ]);
        // At once: the server answers one while the database answers another.
        await Promise.all(
          urls.map(async (url) => {
            const res = await fetch(`${server.url}${url}`, { headers: { Cookie: cookies.custodian } });
            expect(res.status, url.slice(0, 100)).toBe(200);
            await res.text();
          }),
        );
      }
      expect(silentLogger.errors).toEqual([]);
    },
  );
});

describe("opening one booking from a notification or an e-mail", () => {
  it("/reviews?focus=id narrows the list to that booking and marks it", async () => {
    const res = await fetch(`${server.url}/reviews?focus=${pendingId}`, { headers: { Cookie: cookies.custodian } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(new RegExp(`id="booking-${pendingId}"[^>]*class="[^"]*booking-card-focus`));
    expect(html).toContain("總計 1 筆，每頁顯示 10 筆");
  });

  it("a booking I do not hold is not shown, with a zh-TW note", async () => {
    const res = await fetch(`${server.url}/reviews?focus=${othersPendingId}`, {
      headers: { Cookie: cookies.custodian },
    });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("找不到這筆申請，或您沒有權限審核。");
    expect(html).not.toContain("他機關申請");
  });

  it("the e-mail's /reviews/bookings/:id redirects there; junk ids are a 404", async () => {
    const res = await fetch(`${server.url}/reviews/bookings/${pendingId}`, {
      headers: { Cookie: cookies.custodian },
      redirect: "manual",
    });
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe(`/reviews?focus=${pendingId}#booking-${pendingId}`);
    for (const junkId of ["abc", "-1", "1%00", "99999999999"]) {
      const r = await fetch(`${server.url}/reviews/bookings/${junkId}`, { headers: { Cookie: cookies.custodian } });
      expect(r.status, junkId).toBe(404);
      await r.text();
    }
  });
});

describe("the happy paths the fuzz never takes", () => {
  it("a batch shows ✓ for each decided booking and ✗ with the reason for one decided already", async () => {
    const { actor } = await signInAs(c, applicant);
    const mk = (start: string, end: string) =>
      c.services.bookings.request(actor, {
        itemId: venueId,
        startsAt: `${tomorrow}T${start}`,
        endsAt: `${tomorrow}T${end}`,
        reason: "批次",
        attendees: "2",
      });
    const a = await mk("13:00", "14:00");
    const b = await mk("14:00", "15:00");
    const { actor: cust } = await signInAs(c, custodian);
    await c.services.bookings.decide(cust, b.id, { decision: "approve", comment: "" });
    const res = await post(
      "/reviews",
      body({ intent: "batch", ids: [String(a.id), String(b.id)], decision: "reject", comment: "場地維修" }),
      cookies.custodian,
    );
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("批次審核完成：成功 1 筆，未處理 1 筆。");
    expect(html).toMatch(/batch-ok[^>]*><span aria-hidden="true">✓<\/span> [^<]*：已駁回/);
    expect(html).toContain("此申請已是「已核准」，不需再審核。");
    const rows = await c.db.selectFrom("bookings").select(["id", "status"]).where("id", "in", [a.id, b.id]).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [a.id]: "rejected", [b.id]: "approved" });
  });

  it("the applicant cancels a pending booking; a second cancel says why not", async () => {
    const { actor } = await signInAs(c, applicant);
    const { id } = await c.services.bookings.request(actor, {
      itemId: venueId,
      startsAt: `${tomorrow}T16:00`,
      endsAt: `${tomorrow}T17:00`,
      reason: "將取消",
      attendees: "2",
    });
    const first = await post("/book/mine", body({ intent: "cancel", id: String(id) }), cookies.applicant);
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/book/mine");
    const again = await post("/book/mine", body({ intent: "cancel", id: String(id) }), cookies.applicant);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain("此申請已是「已取消」，無法取消。");
  });
});
