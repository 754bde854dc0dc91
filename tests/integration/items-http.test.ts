import sharp from "sharp";
import ExcelJS from "exceljs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../bff/container.js";
import { startTestServer, testContainer } from "../helpers/container.js";
import { signInOverHttp } from "../helpers/http-session.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";

const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);

let c: Container;
let server: { url: string; close(): Promise<void> };
let adminA: MadeAccount, keeper: MadeAccount, userB: MadeAccount;
let venueId: number;

beforeAll(async () => {
  c = await testContainer();
  server = await startTestServer(c);
  const siteId = (await makeSite(c)).id;
  const agencyA = (await makeAgency(c, "甲局")).id;
  const unitA = (await makeUnit(c, agencyA)).id;
  adminA = await makeAccount(c, { unitId: unitA, role: "agency_admin" });
  keeper = await makeAccount(c, { unitId: unitA, name: "保管甲" });
  userB = await makeAccount(c, { unitId: (await makeUnit(c, (await makeAgency(c, "乙局")).id)).id });
  venueId = (
    await makeItem(c, { agencyId: agencyA, siteId, name: "HTTP 會議室", custodians: [keeper.id], scope: "own" })
  ).id;
});
afterAll(async () => {
  await server?.close();
  await c?.close();
});

const signIn = (a: MadeAccount) => signInOverHttp(server.url, a);

const upload = (cookie: string, bytes: Buffer, fileName: string, type: string) => {
  const body = new FormData();
  body.set("image", new File([new Uint8Array(bytes)], fileName, { type }));
  return fetch(`${server.url}/admin/items/venues/${venueId}?_data=routes/_app.admin.items.venues.$id`, {
    method: "POST",
    headers: { Cookie: cookie, Origin: server.url },
    body,
  });
};

describe("物品管理 over HTTP", () => {
  it("pages show for managers and are 404 for others", async () => {
    const keeperCookie = await signIn(keeper);
    const outsider = await signIn(userB);
    const list = await fetch(`${server.url}/admin/items/venues`, { headers: { Cookie: keeperCookie } });
    expect(list.status).toBe(200);
    const html = await list.text();
    expect(html).toContain("HTTP 會議室");
    expect(html).toContain("總計 1 筆，每頁顯示 10 筆");
    expect(html).not.toMatch(/\sstyle="/);
    expect((await fetch(`${server.url}/admin/items/venues/new`, { headers: { Cookie: keeperCookie } })).status).toBe(
      404,
    );
    expect(
      (await fetch(`${server.url}/admin/items/venues/new`, { headers: { Cookie: await signIn(adminA) } })).status,
    ).toBe(200);
    for (const path of [
      "/admin/items",
      `/admin/items/venues/${venueId}`,
      `/admin/items/venues/${venueId}/records.xlsx`,
    ])
      expect((await fetch(`${server.url}${path}`, { headers: { Cookie: outsider } })).status).toBe(404);
  });

  it("uploads a PNG named .jpg; refuses a PDF with the zh-TW message", async () => {
    const cookie = await signIn(keeper);
    const ok = await upload(cookie, PNG, "photo.jpg", "image/jpeg");
    // A success redirects back to the venue with a message (a data request answers 204 + X-Remix-Redirect).
    expect(ok.status).toBe(204);
    expect(ok.headers.get("x-remix-redirect")).toBe(`/admin/items/venues/${venueId}`);
    expect(ok.headers.getSetCookie().some((h) => h.startsWith("portal_flash="))).toBe(true);
    const pdf = await upload(cookie, Buffer.from("%PDF-1.7 not an image"), "a.png", "image/png");
    expect(pdf.status).toBe(400);
    expect(await pdf.json()).toMatchObject({ message: "僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB" });
    const [image] = await c.db.selectFrom("item_images").select("id").where("item_id", "=", venueId).execute();
    const res = await fetch(`${server.url}/items/images/${image!.id}`, { headers: { Cookie: cookie } });
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(res.headers.get("cache-control")).toBe("private, no-store"); // issue 14: never in the HTTP cache
    // Re-encoded without metadata (issue 14): the same picture, not the same bytes.
    expect(await sharp(Buffer.from(await res.arrayBuffer())).metadata()).toMatchObject({ format: "png", width: 1 });
    const outsider = await signIn(userB);
    expect((await fetch(`${server.url}/items/images/${image!.id}`, { headers: { Cookie: outsider } })).status).toBe(
      404,
    );
  });

  it("streams the custodian log export as .xlsx with zh-TW headers", async () => {
    const cookie = await signIn(keeper);
    await c.services.items.setCustodian((await signInAs(c, keeper)).actor, "venue", venueId, {
      slot: "2",
      accountId: String(adminA.id),
      reason: "增設",
    });
    const res = await fetch(`${server.url}/admin/items/venues/${venueId}/custodian-changes.xlsx`, {
      headers: { Cookie: cookie },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(await res.arrayBuffer());
    const ws = wb.worksheets[0]!;
    expect((ws.getRow(1).values as unknown[]).slice(1)).toEqual([
      "執行時間",
      "保管人",
      "原保管人",
      "新保管人",
      "異動原因",
      "執行人",
    ]);
    expect(ws.getRow(2).getCell(5).value).toBe("增設");
  });

  // Last in the file: the server answers before reading the whole 6 MB body, so the
  // connection is closed afterwards and is not reused by a later request here.
  it("refuses an upload over 5 MB with the zh-TW message, and one over the route's body cap with a 413, never a 500", async () => {
    const cookie = await signIn(keeper);
    // Within the route's body cap (5 MB + room for the form), over the image rule: the rule's message.
    const over = await upload(cookie, Buffer.alloc(5 * 1024 * 1024 + 64 * 1024, 1), "big.png", "image/png");
    expect(over.status).toBe(400);
    expect(await over.json()).toMatchObject({ message: "僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB" });
    // Over the cap (bff/http/body-limits.ts): refused before it is read.
    const big = await upload(cookie, Buffer.alloc(6 * 1024 * 1024, 1), "big.png", "image/png");
    expect(big.status).toBe(413);
    expect(await big.text()).toContain("送出的資料太大");
  });
});
