import type { ScheduledExecutors } from "../scheduled/types.js";
import type { ApplicationDeps } from "./deps.js";
import { createEmailCodes } from "./email-codes.js";
import { orgChoices } from "./fields.js";
import { createReviewQueue } from "./review.js";
import { createSelfService } from "./self-service.js";
import { createSignedOutFlows } from "./signed-out.js";

export { DECIDE_TYPE } from "./review.js";

/**
 * Issue 6 parts 1, 2, 6: account applications from apply to activation, self-service, and
 * the review queue (ACC-1/2/3/6/7/8/13/17/18/19).
 */
export function createApplicationsService(deps: Omit<ApplicationDeps, "codes"> & { dataKey: Buffer }) {
  const full: ApplicationDeps = { ...deps, codes: createEmailCodes({ dataKey: deps.dataKey }) };
  const review = createReviewQueue(full);
  return {
    signedOut: createSignedOutFlows(full),
    self: createSelfService(full),
    review,
    orgChoices: () => orgChoices(full.db),
    reviewSource: review.reviewSource,
    homeCounts: review.homeCounts,
  };
}

/**
 * ACC-9: the executors for 預約生效 review decisions ("application.decide"), for the
 * scheduled-changes runner's executor map.
 */
export function applicationScheduledExecutors(service: ApplicationsService): ScheduledExecutors {
  return service.review.scheduledExecutors;
}

export type ApplicationsService = ReturnType<typeof createApplicationsService>;
