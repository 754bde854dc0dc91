import type { Tx } from "../../db/index.js";

/**
 * ACC-9/16: a change chosen as 預約生效 is stored as a scheduled change and carried out by
 * a job at its time, exactly once. Each feature that schedules changes registers an
 * executor for its types (like job handlers); the executor re-checks its guards when it
 * runs and returns a short zh-TW result, or throws a DomainError whose message becomes the
 * failed result.
 */
export interface ScheduledChangeInput {
  /** e.g. "account.disable", "account.unit", "account.role", "application.decide". */
  type: string;
  /** The account the change is about (for the list, scope and cancel). */
  targetAccountId: number;
  /** The agency whose admins see and may cancel it. */
  agencyId: number;
  executeAt: Date;
  /** Everything the executor needs; no secrets. */
  payload: Record<string, unknown>;
  createdBy: number;
  now: Date;
}

export interface ScheduledChange {
  id: number;
  type: string;
  targetAccountId: number;
  agencyId: number;
  executeAt: Date;
  payload: Record<string, unknown>;
  createdBy: number;
}

/** Runs in the job's transaction, under the change's row lock. */
export type ScheduledExecutor = (trx: Tx, change: ScheduledChange, now: Date) => Promise<string>;
export type ScheduledExecutors = Record<string, ScheduledExecutor>;
