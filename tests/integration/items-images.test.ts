import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { IMAGE_REFUSED, sniffImage } from "../../bff/items/images.js";
import { testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeSite,
  makeUnit,
  type MadeAccount,
  signInAs,
} from "../helpers/factory.js";

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  "base64",
);
/** Real images (uploads are decoded and re-encoded to drop their metadata, issue 14). */
const blank = () => sharp({ create: { width: 6, height: 4, channels: 3, background: "#2a6" } });
const JPEG = await blank().jpeg().toBuffer();
const WEBP = await blank().webp().toBuffer();
const webp = () => WEBP;
const PDF = Buffer.from("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n", "ascii");

let c: Container;
let siteId: number, agencyA: number, agencyB: number;
let adminA: MadeAccount, keeper: MadeAccount, userA: MadeAccount, userB: MadeAccount;
const actors = new Map<MadeAccount, Actor>();
const as = (a: MadeAccount) => actors.get(a)!;

beforeAll(async () => {
  c = await testContainer();
  siteId = (await makeSite(c)).id;
  agencyA = (await makeAgency(c, "甲局")).id;
  agencyB = (await makeAgency(c, "乙局")).id;
  const uA = (await makeUnit(c, agencyA)).id;
  adminA = await makeAccount(c, { unitId: uA, role: "agency_admin" });
  keeper = await makeAccount(c, { unitId: uA });
  userA = await makeAccount(c, { unitId: uA });
  userB = await makeAccount(c, { unitId: (await makeUnit(c, agencyB)).id });
  for (const a of [adminA, keeper, userA, userB]) actors.set(a, (await signInAs(c, a)).actor);
});
afterAll(() => c?.close());

describe("venue images (sniffed by their bytes)", () => {
  it("sniffs JPEG, PNG and WebP; refuses PDFs, cut-off files and noise", () => {
    expect(sniffImage(PNG)).toBe("image/png");
    expect(sniffImage(JPEG)).toBe("image/jpeg");
    expect(sniffImage(webp())).toBe("image/webp");
    expect(sniffImage(PDF)).toBeNull();
    expect(sniffImage(PNG.subarray(0, PNG.length - 10))).toBeNull(); // corrupt: no IEND
    expect(sniffImage(JPEG.subarray(0, 40))).toBeNull();
    expect(sniffImage(Buffer.from("not an image at all, just text"))).toBeNull();
  });

  it("stores a PNG whatever it was called, serves it to those who may see the venue", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id], isPublic: true, scope: "own" });
    // The route never passes the name or declared type: a PNG renamed .jpg is still a PNG.
    const { id } = await c.services.items.addImage(as(keeper), v.id, PNG);
    const img = await c.services.items.image(as(userA), id);
    expect(img.contentType).toBe("image/png");
    expect(await sharp(img.bytes).metadata()).toMatchObject({ format: "png", width: 1, height: 1 });
    await expect(c.services.items.image(as(userB), id)).rejects.toMatchObject({ code: "not_found" });
    expect((await c.services.items.get(as(adminA), "venue", v.id)).images.map((i) => i.id)).toEqual([id]);
    await c.services.items.removeImage(as(adminA), v.id, id);
    await expect(c.services.items.image(as(userA), id)).rejects.toMatchObject({ code: "not_found" });
  });

  it("refuses a PDF, a 6 MB file and corrupt bytes with one clear message", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    const big = Buffer.concat([PNG.subarray(0, 33), Buffer.alloc(6 * 1024 * 1024), PNG.subarray(PNG.length - 12)]);
    for (const bytes of [PDF, big, PNG.subarray(0, 40), Buffer.alloc(100, 7)]) {
      await expect(c.services.items.addImage(as(keeper), v.id, bytes)).rejects.toMatchObject({
        code: "invalid",
        message: IMAGE_REFUSED,
      });
    }
    expect(IMAGE_REFUSED).toBe("僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB");
  });

  it("at most 10 images; only managers of the venue upload; cars have none", async () => {
    const v = await makeItem(c, { agencyId: agencyA, siteId, custodians: [keeper.id] });
    for (let i = 0; i < 10; i++) await c.services.items.addImage(as(keeper), v.id, i % 2 ? JPEG : webp());
    await expect(c.services.items.addImage(as(keeper), v.id, PNG)).rejects.toMatchObject({ code: "invalid" });
    await expect(c.services.items.addImage(as(userA), v.id, PNG)).rejects.toMatchObject({ code: "not_found" });
    const car = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [keeper.id] });
    await expect(c.services.items.addImage(as(keeper), car.id, PNG)).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("a car's drivers (ITM-2)", () => {
  it("binds the managing agency's drivers, lists them, removes one; other agencies' drivers are refused", async () => {
    const car = await makeItem(c, { kind: "car", agencyId: agencyA, siteId, custodians: [keeper.id] });
    const d1 = await makeItem(c, {
      kind: "driver",
      agencyId: agencyA,
      siteId,
      name: "A 司機",
      custodians: [adminA.id],
    });
    const d2 = await makeItem(c, {
      kind: "driver",
      agencyId: agencyA,
      siteId,
      name: "B 司機",
      custodians: [adminA.id],
    });
    const foreign = await makeItem(c, { kind: "driver", agencyId: agencyB, siteId, custodians: [userB.id] });
    expect((await c.services.items.driverChoices(as(keeper), car.id)).map((d) => [d.id, d.bound])).toEqual([
      [d1.id, false],
      [d2.id, false],
    ]);
    await c.services.items.setDrivers(as(keeper), car.id, { driverIds: [String(d1.id), String(d2.id)] });
    expect((await c.services.items.get(as(keeper), "car", car.id)).drivers.map((d) => d.id)).toEqual([d1.id, d2.id]);
    await c.services.items.removeDrivers(as(keeper), car.id, { driverIds: [String(d2.id)] });
    expect((await c.services.items.get(as(keeper), "car", car.id)).drivers.map((d) => d.id)).toEqual([d1.id]);
    await expect(
      c.services.items.addDrivers(as(keeper), car.id, { driverIds: [String(foreign.id)] }),
    ).rejects.toMatchObject({
      code: "invalid",
      message: "所選司機須為管理機關的派遣司機。",
    });
    await expect(c.services.items.addDrivers(as(keeper), car.id, { driverIds: ["x1"] })).rejects.toMatchObject({
      code: "invalid",
    });
    await expect(c.services.items.addDrivers(as(userA), car.id, { driverIds: [String(d2.id)] })).rejects.toMatchObject({
      code: "not_found",
    });
    // An empty list is fine in the second step (目前沒有資料).
    await c.services.items.setDrivers(as(keeper), car.id, { driverIds: [] });
    expect((await c.services.items.get(as(keeper), "car", car.id)).drivers).toEqual([]);
  });
});
