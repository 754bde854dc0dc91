import type { Database } from "../../db/index.js";
import type { Clock } from "../ports/clock.js";

/** What every 物品管理 use case is built from (bff/container.ts). */
export interface ItemDeps {
  db: Database;
  clock: Clock;
}
