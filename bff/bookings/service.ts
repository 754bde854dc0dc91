import type { Actor } from "../actor.js";
import type { IdParam } from "../validation.js";
import { createAvailability } from "./availability.js";
import { createDecisions } from "./decide.js";
import { createFindFree } from "./find-free.js";
import type { BookingDeps } from "./deps.js";
import { heldBooking } from "./lookups.js";
import { createMine } from "./mine.js";
import { createRequest } from "./request.js";
import { createReviewList } from "./review-list.js";

export { DEFAULT_REJECT_COMMENT } from "./deps.js";

/**
 * 場地及公務車借用 (BKG-1..5): booking a venue or a car, the custodians' review, my bookings.
 * Each use case lives in its own file, built from the same deps; this assembles them.
 */
export function createBookingsService(deps: BookingDeps) {
  const decisions = createDecisions(deps);
  const review = createReviewList(deps, decisions.decide);
  const mine = createMine(deps);
  return {
    ...createAvailability(deps),
    ...createFindFree(deps),
    ...createRequest(deps),
    ...decisions,
    reviewList: review.reviewList,
    reviewSource: review.reviewSource,
    mine: mine.mine,
    cancel: mine.cancel,
    homeCounts: mine.homeCounts,
    heldBooking: (actor: Actor, bookingId: IdParam) => heldBooking(deps.db, actor, bookingId),
  };
}

export type BookingsService = ReturnType<typeof createBookingsService>;
