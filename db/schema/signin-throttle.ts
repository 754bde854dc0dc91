import type { Nullable } from "../schema.js";

/** Issue 14 item 5 (ADR 0025): one row per throttled key (bff/auth/throttle.ts). */
export interface SigninThrottleTable {
  key: string;
  failures: number;
  last_failure_at: Date;
  blocked_until: Nullable<Date>;
}

export interface SigninThrottleTables {
  signin_throttle: SigninThrottleTable;
}
