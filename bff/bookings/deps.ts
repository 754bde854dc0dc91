import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { BookingStatus, ItemKind } from "../../db/schema.js";
import type { Clock } from "../ports/clock.js";

export { rangeColumns } from "../items/queries.js";

/** What every bookings use case is built from (bff/container.ts). */
export interface BookingDeps {
  db: Database;
  clock: Clock;
  officialMailDomain: string;
  /** PUBLIC_ORIGIN, for the link in a custodian's mail; none when unset. */
  baseUrl?: string;
}

/** The statuses that hold a slot (the exclusion constraints count only these). */
export const HOLDING: BookingStatus[] = ["pending", "approved"];

export const kindLabel: Record<ItemKind, string> = { venue: "場地", car: "公務車", driver: "司機" };

export const statusLabel: Record<BookingStatus, string> = {
  pending: "未審核",
  approved: "已核准",
  rejected: "已駁回",
  cancelled: "已取消",
};

/** The comment a 駁回 from a notification records (BKG-5); the reviewer may edit it later. */
export const DEFAULT_REJECT_COMMENT = "經審核未能同意借用。";

/** [start, end) as a tstzrange, to compare with bookings.during. */
export const tsRange = (start: Date, end: Date) => sql`tstzrange(${start}::timestamptz, ${end}::timestamptz, '[)')`;
