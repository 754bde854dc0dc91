import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { getAs, postAs, signInOverHttp } from "../helpers/http-session.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  signInAs,
  type MadeAccount,
} from "../helpers/factory.js";

/**
 * Redirect-after-POST with a flash message (app/utils/flash.server.ts), over plain HTTP: the
 * cookie the action sets must reach the next page, be shown there once and be cleared by the
 * root loader's Set-Cookie — on a document request (no JavaScript) and on Remix's data requests.
 */
let c: Container;
let server: { url: string; close(): Promise<void> };
let admin: MadeAccount;
let siteId: number, agencyId: number, keeperId: number;
let session: string;

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
  siteId = (await makeSite(c)).id;
  agencyId = (await makeAgency(c, "閃訊局")).id;
  const unit = (await makeUnit(c, agencyId)).id;
  admin = await makeAccount(c, { unitId: unit, role: "agency_admin" });
  keeperId = (await makeAccount(c, { unitId: unit })).id;
  session = await signInOverHttp(server.url, admin);
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const venueForm = (name: string) =>
  new URLSearchParams({
    intent: "create",
    siteId: String(siteId),
    agencyId: String(agencyId),
    name,
    floor: "2F",
    capacity: "12",
    openFrom: "08:00",
    openTo: "17:00",
    isPublic: "true",
    borrowScope: "own",
    custodian1: String(keeperId),
  });

/** The portal_flash cookie a response sets, as "name=value", and the raw header. */
function flashCookie(res: Response): { pair: string; header: string } | null {
  const header = res.headers.getSetCookie().find((h) => h.startsWith("portal_flash="));
  return header ? { pair: header.split(";")[0]!, header } : null;
}
const cleared = (header: string) => /max-age=0/i.test(header) || /expires=thu, 01 jan 1970/i.test(header);
// The region is empty, or holds one message box (.flash) and nothing else.
const statusRegion = (html: string) =>
  /<div class="flash-region" role="status"><\/div>|<div class="flash-region" role="status"><div class="flash [^"]*">.*?<\/div><\/div>/s.exec(
    html,
  )?.[0] ?? "";

describe("flash messages after a POST (document requests, no JavaScript)", () => {
  it("POST → 303 with the cookie; the next page shows the message once and clears it; a reload shows nothing", async () => {
    const post = await postAs(server.url, session, "/admin/items/venues/new", venueForm("閃訊會議室"));
    expect(post.status).toBe(303);
    const location = post.headers.get("location")!;
    expect(location).toMatch(/^\/admin\/items\/venues\/\d+$/);
    expect(location).not.toContain("?");
    const flash = flashCookie(post);
    expect(flash?.header).toMatch(/HttpOnly/i);
    expect(flash?.header).toMatch(/SameSite=Lax/i);

    const page = await getAs(server.url, `${session}; ${flash!.pair}`, location);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(statusRegion(html)).toContain("已新增場地「閃訊會議室」");
    // The root loader's Set-Cookie reached the document response: the message is gone for good.
    const clear = flashCookie(page);
    expect(clear).not.toBeNull();
    expect(cleared(clear!.header)).toBe(true);

    // The browser drops the cleared cookie: a reload shows no message.
    const again = await getAs(server.url, session, location);
    expect(await again.text()).not.toContain("已新增場地");
    expect(flashCookie(again)).toBeNull();
  });

  it("a refused POST renders inline (400, fields, what was typed) and sets no flash", async () => {
    const form = venueForm("");
    form.set("capacity", "很多");
    const res = await postAs(server.url, session, "/admin/items/venues/new", form);
    expect(res.status).toBe(400);
    expect(flashCookie(res)).toBeNull();
    const html = await res.text();
    expect(html).toContain("請填寫場地名稱");
    expect(html).toContain("容納人數請填寫 1 到 100000 的整數");
    expect(html).toContain('value="很多"');
  });

  it("a tampered or foreign cookie shows nothing, is cleared and is no 500", async () => {
    const post = await postAs(server.url, session, "/admin/items/venues/new", venueForm("竄改測試室"));
    const pair = flashCookie(post)!.pair;
    const [name, value] = [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)];
    const forged = Buffer.from(JSON.stringify({ kind: "success", message: "偽造的訊息" })).toString("base64");
    for (const bad of [
      `${value.slice(0, -3)}abc`, // signature broken
      encodeURIComponent(forged), // unsigned
      "%E0%A4%A", // not even URI-decodable
      "", // empty
    ]) {
      const res = await getAs(server.url, `${session}; ${name}=${bad}`, post.headers.get("location")!);
      expect(res.status, bad).toBe(200);
      const html = await res.text();
      expect(html).not.toContain("偽造的訊息");
      expect(html).not.toContain("已新增場地「竄改測試室」");
      expect(cleared(flashCookie(res)!.header), bad).toBe(true);
    }
  });

  it("a signed cookie that does not hold a message shows nothing", async () => {
    const { createCookie } = await import("@remix-run/node");
    const cookie = createCookie("portal_flash", { secrets: [c.cookieSecret] });
    for (const value of [{ kind: "danger", message: "x" }, { kind: "success", message: 42 }, "just a string", null]) {
      const pair = (await cookie.serialize(value)).split(";")[0]!;
      const res = await getAs(server.url, `${session}; ${pair}`, "/admin/items/venues");
      expect(res.status).toBe(200);
      expect(statusRegion(await res.text())).toBe('<div class="flash-region" role="status"></div>');
    }
  });

  it("with JavaScript: the action's data request carries the cookie, the root's data request reads and clears it", async () => {
    const post = await postAs(
      server.url,
      session,
      "/admin/items/venues/new?_data=routes%2F_app.admin.items.venues.new",
      venueForm("資料請求室"),
    );
    expect(post.status).toBe(204);
    const location = post.headers.get("x-remix-redirect")!;
    expect(location).toMatch(/^\/admin\/items\/venues\/\d+$/);
    const flash = flashCookie(post)!;
    const root = await getAs(server.url, `${session}; ${flash.pair}`, `${location}?_data=root`);
    expect(await root.json()).toEqual({ flash: { kind: "success", message: "已新增場地「資料請求室」" } });
    expect(cleared(flashCookie(root)!.header)).toBe(true);
    const again = await getAs(server.url, session, `${location}?_data=root`);
    expect(await again.json()).toEqual({ flash: null });
  });
});

describe("物品管理 detail actions redirect with a message", () => {
  it("save, custodian change and delete each answer 303 with a flash and no query flag", async () => {
    const item = await makeItem(c, { agencyId, siteId, name: "動作測試室", custodians: [keeperId] });
    const base = `/admin/items/venues/${item.id}`;
    const save = venueForm("動作測試室（改）");
    save.set("intent", "save");
    const saved = await postAs(server.url, session, base, save);
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(base);
    const savedPage = await getAs(server.url, `${session}; ${flashCookie(saved)!.pair}`, base);
    expect(statusRegion(await savedPage.text())).toContain("已儲存場地「動作測試室（改）」");

    const holder = await postAs(
      server.url,
      session,
      base,
      new URLSearchParams({ intent: "custodian", slot: "2", accountId: String(admin.id), reason: "增設" }),
    );
    expect(holder.status).toBe(303);
    expect(holder.headers.get("location")).toBe(`${base}?tab=holders`);
    const holderPage = await getAs(server.url, `${session}; ${flashCookie(holder)!.pair}`, `${base}?tab=holders`);
    expect(statusRegion(await holderPage.text())).toContain("已設定保管人 2");

    const refused = await postAs(
      server.url,
      session,
      base,
      new URLSearchParams({ intent: "custodian", slot: "1", accountId: "", remove: "1", reason: "離職" }),
    );
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain("保管人 1 為必填，只能移轉給他人，不可移除");

    const deleted = await postAs(server.url, session, base, new URLSearchParams({ intent: "delete" }));
    expect(deleted.status).toBe(303);
    expect(deleted.headers.get("location")).toBe("/admin/items/venues");
    const list = await getAs(server.url, `${session}; ${flashCookie(deleted)!.pair}`, "/admin/items/venues");
    expect(statusRegion(await list.text())).toContain("已刪除場地「動作測試室（改）」");
  });
});

describe("我的 pages and the booking list redirect with a message (issue 16: every form redirects with a flash)", () => {
  /** POSTs `form` to `path`, expects 303 back to `back` with a flash, and that page to show `message` once. */
  async function expectFlash(
    cookie: string,
    path: string,
    form: Record<string, string>,
    back: string,
    message: string,
  ) {
    const res = await postAs(server.url, cookie, path, new URLSearchParams(form));
    expect(res.status, path).toBe(303);
    expect(res.headers.get("location")).toBe(back);
    const page = await getAs(server.url, `${cookie}; ${flashCookie(res)!.pair}`, back);
    expect(statusRegion(await page.text()), path).toContain(message);
  }

  it("my data, my password and a cancelled booking each answer 303 and show their message on the next page", async () => {
    const me = await makeAccount(c, { unitId: (await makeUnit(c, agencyId)).id });
    const mine = await signInOverHttp(server.url, me);
    const profile = { title: "專員", officePhone: "06-2990000", officeExt: "12", workAddress: "永華路二段6號" };
    await expectFlash(mine, "/me/profile", profile, "/me/profile", "個人資料已更新。");
    await expectFlash(mine, "/me/profile", profile, "/me/profile", "資料沒有變更。");

    const venue = await makeItem(c, { agencyId, siteId, name: "取消測試室", custodians: [keeperId] });
    const { actor } = await signInAs(c, me);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const booking = await c.services.bookings.request(actor, {
      itemId: venue.id,
      startsAt: `${tomorrow}T10:00`,
      endsAt: `${tomorrow}T11:00`,
      reason: "將取消",
      attendees: "2",
    });
    await expectFlash(mine, "/book/mine", { intent: "cancel", id: String(booking.id) }, "/book/mine", "已取消申請。");

    const next = "Flash#Changed-2026";
    await expectFlash(mine, "/me", { current: me.password, next, confirm: next }, "/me", "密碼已更新。");
  });

  it("a custodian's single decision returns to the list as it was filtered, with the decision as a flash", async () => {
    const unit = (await makeUnit(c, agencyId)).id;
    const keeper = await makeAccount(c, { unitId: unit });
    const applicant = await makeAccount(c, { unitId: unit });
    const venue = await makeItem(c, { agencyId, siteId, name: "審核閃訊室", custodians: [keeper.id] });
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const booking = await c.services.bookings.request((await signInAs(c, applicant)).actor, {
      itemId: venue.id,
      startsAt: `${tomorrow}T13:00`,
      endsAt: `${tomorrow}T14:00`,
      reason: "審核",
      attendees: "3",
    });
    const decision = { intent: "decide", id: String(booking.id), decision: "approve", comment: "同意" };
    const session = await signInOverHttp(server.url, keeper);
    await expectFlash(session, "/reviews?status=pending", decision, "/reviews?status=pending", "已核准：審核閃訊室");
  });

  it("a refused change still renders inline with what was typed, and sets no flash", async () => {
    const me = await makeAccount(c, { unitId: (await makeUnit(c, agencyId)).id });
    const mine = await signInOverHttp(server.url, me);
    const res = await postAs(server.url, mine, "/me/profile", new URLSearchParams({ title: "", officePhone: "abc" }));
    expect(res.status).toBe(400);
    expect(flashCookie(res)).toBeNull();
    expect(await res.text()).toContain('value="abc"');
  });
});
