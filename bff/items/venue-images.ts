import { inTransaction } from "../../db/transaction.js";
import type { Actor } from "../actor.js";
import { writeAudit } from "../audit.js";
import { DomainError, notFound } from "../errors.js";
import { type IdParam, parseId, parseInput } from "../validation.js";
import type { ItemDeps } from "./deps.js";
import { withoutMetadata } from "./image-metadata.js";
import { IMAGE_REFUSED, IMAGES_PER_ITEM } from "./images.js";
import { manageableItem } from "./queries.js";
import { imageUpload } from "./schemas.js";
import { bookableBy } from "./visibility.js";

/** ITM-1 場地相關圖檔: a venue's images, added and removed by those who manage it. */
export function createVenueImages(deps: ItemDeps) {
  const { db, clock } = deps;

  async function addImage(actor: Actor, itemId: IdParam, bytes: Uint8Array): Promise<{ id: number }> {
    const { image } = parseInput(imageUpload, { image: bytes });
    const item = await manageableItem(db, actor, "venue", itemId);
    // Issue 14: stored without EXIF/GPS, whatever its size; re-encoded before the transaction opens.
    const clean = await withoutMetadata(image.bytes, image.type);
    if (!clean) throw new DomainError("invalid", IMAGE_REFUSED, { image: IMAGE_REFUSED });
    const now = clock.now();
    return inTransaction(db, async (trx) => {
      await trx.selectFrom("items").select("id").where("id", "=", item.id).forUpdate().executeTakeFirst();
      const count = await trx
        .selectFrom("item_images")
        .select([(eb) => eb.fn.countAll<number>().as("n"), (eb) => eb.fn.max("sort").as("last")])
        .where("item_id", "=", item.id)
        .executeTakeFirstOrThrow();
      if (count.n >= IMAGES_PER_ITEM)
        throw new DomainError("invalid", `每個場地最多 ${IMAGES_PER_ITEM} 張圖片，請先刪除不需要的圖片。`, {
          image: `最多 ${IMAGES_PER_ITEM} 張圖片`,
        });
      const row = await trx
        .insertInto("item_images")
        .values({
          item_id: item.id,
          content_type: image.type,
          bytes: clean,
          sort: (count.last ?? 0) + 1,
          created_at: now,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await writeAudit(trx, actor, now, {
        action: "item.image.add",
        targetType: "item",
        targetId: item.id,
        detail: { imageId: row.id, type: image.type, bytes: bytes.length },
      });
      return { id: row.id };
    });
  }

  async function removeImage(actor: Actor, itemId: IdParam, imageId: IdParam): Promise<void> {
    const item = await manageableItem(db, actor, "venue", itemId);
    const id = parseId(imageId);
    if (id === null) throw notFound();
    const now = clock.now();
    await inTransaction(db, async (trx) => {
      const gone = await trx
        .deleteFrom("item_images")
        .where("id", "=", id)
        .where("item_id", "=", item.id)
        .returning("id")
        .executeTakeFirst();
      if (!gone) throw notFound();
      await writeAudit(trx, actor, now, {
        action: "item.image.remove",
        targetType: "item",
        targetId: item.id,
        detail: { imageId: id },
      });
    });
  }

  /**
   * One image's bytes, for those who may see its venue: anyone it is bookable by (which
   * includes custodians, the managing agency's admins and system admins).
   */
  async function image(actor: Actor, imageId: IdParam) {
    const id = parseId(imageId);
    if (id === null) throw notFound();
    const row = await db
      .selectFrom("item_images as im")
      .innerJoin("items as i", "i.id", "im.item_id")
      .select(["im.id", "im.content_type", "im.bytes", "im.created_at"])
      .where("im.id", "=", id)
      .where(bookableBy(actor))
      .executeTakeFirst();
    if (!row) throw notFound();
    return { contentType: row.content_type, bytes: row.bytes, createdAt: row.created_at };
  }

  return { addImage, removeImage, image };
}
