import type { Tx } from "../../db/index.js";
import { enqueue } from "../jobs/queue.js";
import type { JobHandlers } from "../jobs/worker.js";
import { hasMetadata, withoutMetadata } from "./image-metadata.js";
import type { ImageType } from "./images.js";

/**
 * Issue 14 item 6 (ADR 0026): the images stored before uploads were cleaned still carry their
 * EXIF (GPS). Migration 0088 queues this job once; each run cleans a few rows of one table,
 * in id order, and queues the next run after the last id it saw, so the work is spread over
 * short transactions (on the embedded database they share its one session), survives a
 * restart where it stopped, and ends by itself. A row is re-encoded only when it still has
 * metadata, so a second pass changes nothing.
 */
export const STRIP_STORED_METADATA_JOB = "images.strip-metadata";

const TABLES = ["item_images", "repair_photos"] as const;
type Table = (typeof TABLES)[number];
const BATCH = 5;

export interface StripProgress {
  table: Table;
  afterId: number;
}

/** Cleans one batch; returns what it did and where the next run starts (null: all done). */
export async function stripStoredBatch(trx: Tx, at: StripProgress) {
  const rows = await trx
    .selectFrom(at.table)
    .select(["id", "content_type", "bytes"])
    .where("id", ">", at.afterId)
    .orderBy("id")
    .limit(BATCH)
    .forUpdate()
    .execute();
  const cleaned: number[] = [];
  const unreadable: number[] = [];
  for (const row of rows) {
    const bytes = new Uint8Array(row.bytes);
    if (!(await hasMetadata(bytes).catch(() => false))) continue;
    const clean = await withoutMetadata(bytes, row.content_type as ImageType);
    // Bytes that no longer decode were accepted by an older check; they are left for a person to look at.
    if (!clean) {
      unreadable.push(row.id);
      continue;
    }
    await trx.updateTable(at.table).set({ bytes: clean }).where("id", "=", row.id).execute();
    cleaned.push(row.id);
  }
  const next: StripProgress | null =
    rows.length === BATCH
      ? { table: at.table, afterId: rows[rows.length - 1]!.id }
      : at.table === "item_images"
        ? { table: "repair_photos", afterId: 0 }
        : null;
  return { cleaned, unreadable, next };
}

export function stripStoredMetadataHandlers(): JobHandlers {
  return {
    [STRIP_STORED_METADATA_JOB]: {
      async run({ db, payload, now }) {
        const at: StripProgress = {
          table: TABLES.find((t) => t === payload?.table) ?? "item_images",
          afterId: Number(payload?.afterId) || 0,
        };
        const { cleaned, unreadable, next } = await stripStoredBatch(db, at);
        if (next)
          await enqueue(db, {
            kind: STRIP_STORED_METADATA_JOB,
            payload: next,
            runAt: now,
            idempotencyKey: `${STRIP_STORED_METADATA_JOB}:${next.table}:${next.afterId}`,
          });
        return { ...at, cleaned, unreadable };
      },
    },
  };
}
