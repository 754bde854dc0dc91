import type { Migration } from "kysely";
import * as m0001 from "./0001_foundation.js";
import * as m0002 from "./0002_items_bookings.js";
import * as m0010 from "./0010_push.js";
import * as m0020 from "./0020_repairs.js";
import * as m0030 from "./0030_oidc.js";

/** Every migration, in order. A static list keeps the build free of directory scans. */
export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_items_bookings": m0002,
  // 0003-0009 are left for the items work that lands alongside; names must stay in order.
  "0010_push": m0010,
  "0020_repairs": m0020,
  "0030_oidc": m0030,
};
