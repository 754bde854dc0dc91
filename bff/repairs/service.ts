import type { Actor } from "../actor.js";
import type { RepairsDeps } from "./deps.js";
import { createHandling } from "./handle.js";
import { createRepairNotices } from "./notify.js";
import { photo } from "./photos.js";
import { createReporting } from "./report.js";
import { createRepairStats } from "./stats.js";
import { createTicketQueries } from "./tickets.js";
import { createTypeQueries } from "./type-queries.js";
import { createTypeWrites } from "./type-writes.js";

/**
 * 線上報修 (RPR-1..4): repair types, reporting from a phone, handling by vendor staff,
 * returns, statistics and the Excel export, one use case (or a few close ones) a file.
 * Every function takes the actor first; what is outside their scope is not found (404).
 */
export function createRepairsService(deps: RepairsDeps) {
  const notices = createRepairNotices(deps);
  const typeQueries = createTypeQueries(deps);
  const stats = createRepairStats(deps);
  return {
    ...typeQueries,
    ...createTypeWrites(deps),
    types: typeQueries.list,
    ...createReporting(deps, notices),
    ...createTicketQueries(deps),
    ...createHandling(deps, notices),
    photo: (actor: Actor, photoId: unknown) => photo(deps.db, actor, photoId),
    statistics: stats.statistics,
    exportTickets: stats.exportTickets,
  };
}

export type RepairsService = ReturnType<typeof createRepairsService>;
