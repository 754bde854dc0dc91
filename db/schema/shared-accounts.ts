import type { Generated } from "kysely";
import type { AccountStatus, Default, LoginPermission, Nullable } from "../schema.js";

export type SharedAccountType = "agency" | "mail" | "system";
export type SharedAccountReview = "pending" | "approved" | "rejected";

export interface SharedAccountsTable {
  id: Generated<number>;
  type: SharedAccountType;
  username: string;
  name: string;
  purpose: Default<string>;
  agency_id: number;
  custodian_account_id: number;
  status: Default<AccountStatus>;
  login_permission: Default<LoginPermission>;
  failed_login_count: Default<number>;
  locked_at: Nullable<Date>;
  review_status: Default<SharedAccountReview>;
  reviewed_by: Nullable<number>;
  reviewed_at: Nullable<Date>;
  review_note: Nullable<string>;
  password_hash: Nullable<string>;
  password_changed_at: Nullable<Date>;
  last_login_at: Nullable<Date>;
  applied_by: number;
  created_at: Date;
  updated_at: Date;
}

export interface SharedAccountChangesTable {
  id: Generated<number>;
  shared_account_id: number;
  kind: "data" | "status";
  field: string;
  before: Default<string>;
  after: Default<string>;
  reason: Default<string>;
  changed_by: Nullable<number>;
  at: Date;
}

/** ACC-14/15 agency and mail-system accounts (issue 6). */
export interface SharedAccountTables {
  shared_accounts: SharedAccountsTable;
  shared_account_changes: SharedAccountChangesTable;
}
