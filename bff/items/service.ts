import { createConsole } from "./console.js";
import { createCreate } from "./create.js";
import { createCustodians } from "./custodians.js";
import type { ItemDeps } from "./deps.js";
import { createDetail } from "./detail.js";
import { createDrivers } from "./drivers.js";
import { createEdit } from "./edit.js";
import { createRecords } from "./records.js";
import { createVenueImages } from "./venue-images.js";

export { PAGE_SIZE } from "./console.js";

/**
 * 物品管理 (ITM-1..4): venues, official cars and dispatched drivers. Every use case takes
 * the actor first; anything outside what the actor may manage is not found (404). Each lives
 * in its own file, built from the same deps; this assembles them.
 */
export function createItemsService(deps: ItemDeps) {
  const custodians = createCustodians(deps);
  const records = createRecords(deps);
  return {
    ...createConsole(deps),
    ...createDetail(deps),
    ...createCreate(deps),
    ...createEdit(deps),
    setCustodian: custodians.setCustodian,
    changeLog: custodians.changeLog,
    exportChangeLog: custodians.exportChangeLog,
    ...createDrivers(deps),
    ...createVenueImages(deps),
    records: records.list,
    record: records.detail,
    exportRecords: records.exportRecords,
  };
}

export type ItemsService = ReturnType<typeof createItemsService>;
