import type { Database, Tx } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError, notFound } from "../errors.js";
import { withoutMetadata } from "../items/image-metadata.js";
import { IMAGE_MAX_BYTES, IMAGE_REFUSED, type ImageType, sniffImage } from "../items/images.js";
import { parseId } from "../validation.js";
import { MAX_PHOTOS } from "./schemas.js";
import { ticketVisibleTo } from "./scope.js";

export type Photo = { type: ImageType; bytes: Uint8Array };

export const tooManyPhotos = () =>
  new DomainError("invalid", `每筆報修最多 ${MAX_PHOTOS} 張照片。`, { photos: `最多 ${MAX_PHOTOS} 張照片` });

/**
 * Every photo sniffed by its bytes and at most 5 MB, at most `room` of them, then stored
 * without EXIF/GPS whatever its size (issue 14, bff/items/image-metadata.ts); else one zh-TW
 * message. Re-encoding takes a moment: callers do it before their transaction opens.
 */
export async function cleanPhotos(photos: Uint8Array[], room = MAX_PHOTOS): Promise<Photo[]> {
  const given = photos.filter((p) => p.length > 0);
  if (given.length > room) throw tooManyPhotos();
  const out: Photo[] = [];
  for (const bytes of given) {
    const type = bytes.length <= IMAGE_MAX_BYTES ? sniffImage(bytes) : null;
    const clean = type ? await withoutMetadata(bytes, type) : null;
    if (!type || !clean) throw new DomainError("invalid", IMAGE_REFUSED, { photos: IMAGE_REFUSED });
    out.push({ type, bytes: clean });
  }
  return out;
}

/** Stores a ticket's photos after the `startSort` it already has. */
export async function insertPhotos(trx: Tx, ticketId: number, photos: Photo[], now: Date, startSort = 0) {
  for (const [i, p] of photos.entries())
    await trx
      .insertInto("repair_photos")
      .values({
        ticket_id: ticketId,
        content_type: p.type,
        bytes: Buffer.from(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength),
        sort: startSort + i + 1,
        created_at: now,
      })
      .execute();
}

/** A ticket photo's bytes, for those who may open the ticket. */
export async function photo(db: Database, actor: Actor, photoId: unknown) {
  const id = parseId(photoId);
  if (id === null) throw notFound();
  const row = await db
    .selectFrom("repair_photos as p")
    .innerJoin("repair_tickets as t", "t.id", "p.ticket_id")
    .select(["p.content_type", "p.bytes"])
    .where("p.id", "=", id)
    .where(ticketVisibleTo(actor))
    .executeTakeFirst();
  if (!row) throw notFound();
  return { contentType: row.content_type, bytes: row.bytes };
}
