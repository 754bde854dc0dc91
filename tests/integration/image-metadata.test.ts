import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../bff/actor.js";
import type { Container } from "../../bff/container.js";
import { STRIP_STORED_METADATA_JOB, stripStoredMetadataHandlers } from "../../bff/items/strip-stored-metadata.js";
import { runOneJob } from "../../bff/jobs/worker.js";
import { silentLogger, testContainer } from "../helpers/container.js";
import {
  makeAccount,
  makeAgency,
  makeItem,
  makeRepairTicket,
  makeRepairType,
  makeSite,
  makeUnit,
  signInAs,
} from "../helpers/factory.js";

// Issue 14 item 6 (ADR 0026): no photo or image keeps its EXIF (GPS), new or already stored.
const EXIF = {
  IFD0: { Make: "TestCam", Artist: "王小明" },
  IFD3: { GPSLatitudeRef: "N", GPSLatitude: "22/1 59/1 0/1", GPSLongitudeRef: "E", GPSLongitude: "120/1 12/1 0/1" },
};
/** An 8×4 picture carrying camera, owner and GPS EXIF: tiny, as the photos that used to skip shrinking. */
const withGps = (format: "jpeg" | "png" | "webp") => {
  const img = sharp({ create: { width: 8, height: 4, channels: 3, background: "#c33" } });
  return img[format]().withExif(EXIF).toBuffer();
};

/** What a reader of the stored bytes could learn beyond the pixels. */
async function leftovers(bytes: Uint8Array) {
  const m = await sharp(bytes).metadata();
  const text = Buffer.from(bytes).toString("latin1");
  return {
    exif: Boolean(m.exif),
    xmp: Boolean(m.xmp),
    gps: /GPS|TestCam/.test(text) || text.includes(Buffer.from("王小明").toString("latin1")),
  };
}
const clean = { exif: false, xmp: false, gps: false };

let c: Container;
let keeper: Actor, reporter: Actor;
let venueId: number, typeId: number, siteId: number, unitId: number, reporterId: number;

beforeAll(async () => {
  c = await testContainer();
  const agency = (await makeAgency(c, "圖片局")).id;
  unitId = (await makeUnit(c, agency)).id;
  siteId = (await makeSite(c)).id;
  const k = await makeAccount(c, { unitId });
  const r = await makeAccount(c, { unitId });
  reporterId = r.id;
  keeper = (await signInAs(c, k)).actor;
  reporter = (await signInAs(c, r)).actor;
  venueId = (await makeItem(c, { agencyId: agency, siteId, custodians: [k.id] })).id;
  typeId = (await makeRepairType(c, { agencyId: agency, scope: "all" })).id;
});
afterAll(() => c?.close());

describe("uploads are stored without metadata", () => {
  it("a small JPEG, PNG and WebP venue image with GPS EXIF keep their pixels and lose the EXIF", async () => {
    for (const format of ["jpeg", "png", "webp"] as const) {
      const original = await withGps(format);
      expect(await leftovers(original), format).toMatchObject({ exif: true, gps: true });
      const { id } = await c.services.items.addImage(keeper, venueId, original);
      const stored = await c.services.items.image(keeper, id);
      expect(stored.contentType).toBe(`image/${format}`);
      expect(await leftovers(stored.bytes), format).toEqual(clean);
      expect(await sharp(stored.bytes).metadata()).toMatchObject({ format, width: 8, height: 4 });
    }
  });

  it("a repair photo with GPS is stored clean; a sideways phone photo is turned upright first", async () => {
    const sideways = await sharp({ create: { width: 8, height: 4, channels: 3, background: "#36c" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .withExif(EXIF)
      .toBuffer();
    const { id } = await c.services.repairs.report(
      reporter,
      { typeId: String(typeId), siteId: String(siteId), phone: "06-2991234", floor: "2F", description: "燈管不亮" },
      [await withGps("jpeg"), sideways],
    );
    const photos = await c.db
      .selectFrom("repair_photos")
      .select(["bytes"])
      .where("ticket_id", "=", id)
      .orderBy("sort")
      .execute();
    expect(photos).toHaveLength(2);
    for (const p of photos) expect(await leftovers(p.bytes)).toEqual(clean);
    // Orientation 6 (rotate 90°) is applied to the pixels: 8×4 becomes 4×8 with no tag left.
    const upright = await sharp(photos[1]!.bytes).metadata();
    expect([upright.width, upright.height, upright.orientation]).toEqual([4, 8, undefined]);
  });

  it("bytes that look like an image but do not decode are refused in zh-TW", async () => {
    const fake = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16]),
      Buffer.alloc(64, 1),
      Buffer.from([0xff, 0xd9]),
    ]);
    await expect(c.services.items.addImage(keeper, venueId, fake)).rejects.toMatchObject({
      code: "invalid",
      message: "僅接受 JPEG、PNG、WebP 圖片，每張不超過 5 MB",
    });
  });
});

describe("images stored before this release are cleaned by the job migration 0088 queues", () => {
  it("pages through both tables, cleans those with metadata, leaves clean ones byte for byte, and ends", async () => {
    const ticket = await makeRepairTicket(c, { typeId, reporterId, unitId, siteId });
    const now = c.clock.now();
    const dirty: { table: "item_images" | "repair_photos"; id: number }[] = [];
    // Seven venue images (more than one batch of five) as an older release stored them, and two photos.
    for (let i = 0; i < 7; i++) {
      const row = await c.db
        .insertInto("item_images")
        .values({
          item_id: venueId,
          content_type: "image/jpeg",
          bytes: await withGps("jpeg"),
          sort: 100 + i,
          created_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      dirty.push({ table: "item_images", id: row.id });
    }
    for (const format of ["png", "webp"] as const) {
      const row = await c.db
        .insertInto("repair_photos")
        .values({
          ticket_id: ticket.id,
          content_type: `image/${format}`,
          bytes: await withGps(format),
          sort: 1,
          created_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      dirty.push({ table: "repair_photos", id: row.id });
    }
    const alreadyClean = await c.db
      .selectFrom("item_images")
      .select(["id", "bytes"])
      .where("item_id", "=", venueId)
      .orderBy("id")
      .executeTakeFirstOrThrow();

    // The migration queued the job when the test database was migrated.
    const queued = await c.db
      .selectFrom("jobs")
      .select(["kind", "state", "payload"])
      .where("idempotency_key", "=", "images.strip-metadata:0088")
      .executeTakeFirstOrThrow();
    expect(queued).toMatchObject({
      kind: STRIP_STORED_METADATA_JOB,
      state: "pending",
      payload: { table: "item_images", afterId: 0 },
    });
    await c.db
      .updateTable("jobs")
      .set({ state: "cancelled" })
      .where("kind", "!=", STRIP_STORED_METADATA_JOB)
      .where("state", "=", "pending")
      .execute();
    const handlers = stripStoredMetadataHandlers();
    let runs = 0;
    while (runs < 50 && (await runOneJob(c.db, handlers, c.clock, silentLogger))) runs++;

    for (const d of dirty) {
      const row = await c.db.selectFrom(d.table).select("bytes").where("id", "=", d.id).executeTakeFirstOrThrow();
      expect(await leftovers(row.bytes), `${d.table} ${d.id}`).toEqual(clean);
    }
    const untouched = await c.db
      .selectFrom("item_images")
      .select("bytes")
      .where("id", "=", alreadyClean.id)
      .executeTakeFirstOrThrow();
    expect(Buffer.from(untouched.bytes).equals(Buffer.from(alreadyClean.bytes))).toBe(true);
    const jobs = await c.db
      .selectFrom("jobs")
      .select(["state", "result"])
      .where("kind", "=", STRIP_STORED_METADATA_JOB)
      .orderBy("id")
      .execute();
    expect(jobs.every((j) => j.state === "done")).toBe(true);
    expect(jobs.length).toBeGreaterThanOrEqual(3); // more than one batch, then the second table
    expect(runs).toBe(jobs.length);
  });
});
