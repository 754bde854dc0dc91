import type { Migration } from "kysely";
import * as m0001 from "./0001_foundation.js";
import * as m0002 from "./0002_items_bookings.js";

/** Every migration, in order. A static list keeps the build free of directory scans. */
export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_items_bookings": m0002,
};
