import type { Generated } from "kysely";
import type { Default, Json, Nullable } from "../schema.js";

export interface ScheduledChangesTable {
  id: Generated<number>;
  type: string;
  target_account_id: number;
  agency_id: number;
  execute_at: Date;
  payload: Default<Json>;
  state: Default<"pending" | "done" | "failed" | "cancelled">;
  result: Nullable<string>;
  created_by: number;
  created_at: Date;
  cancelled_by: Nullable<number>;
  finished_at: Nullable<Date>;
}

/** ACC-9/16 scheduled changes (issue 6). */
export interface ScheduledChangeTables {
  scheduled_changes: ScheduledChangesTable;
}
