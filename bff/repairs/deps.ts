import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";

/** What every part of 線上報修 is built from (bff/container.ts). */
export interface RepairsDeps {
  db: Database;
  clock: Clock;
  officialMailDomain: string;
  /** PUBLIC_ORIGIN, for links in mail; none when unset. */
  baseUrl?: string;
}
