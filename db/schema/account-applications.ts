import type { Generated } from "kysely";
import type { Default, Nullable } from "../schema.js";

export type EmailCodePurpose = "apply" | "edit" | "reactivate" | "reset";
export type ApplicationType = "activation" | "reactivation" | "agency_change" | "role_change";
export type ApplicationStatus = "pending" | "scheduled" | "approved" | "rejected";

export interface EmailCodesTable {
  id: Generated<number>;
  purpose: EmailCodePurpose;
  email: string;
  account_id: Nullable<number>;
  code_hash: string;
  attempts: Default<number>;
  ip: Default<string>;
  created_at: Date;
  expires_at: Date;
  verified_at: Nullable<Date>;
  proof_hash: Nullable<string>;
  proof_expires_at: Nullable<Date>;
  proof_used_at: Nullable<Date>;
}

export interface AccountApplicationsTable {
  id: Generated<number>;
  type: ApplicationType;
  status: Default<ApplicationStatus>;
  account_id: Nullable<number>;
  agency_id: number;
  unit_id: number;
  username: string;
  name: string;
  title: Default<string>;
  office_phone: Default<string>;
  office_ext: Default<string>;
  work_address: Default<string>;
  needs_official_mail: Default<boolean>;
  backup_email: Nullable<string>;
  requested_role: Nullable<"agency_admin">;
  reason: Default<string>;
  submitted_at: Date;
  updated_at: Date;
  decided_by: Nullable<number>;
  decided_at: Nullable<Date>;
  decision_comment: Nullable<string>;
  effective_at: Nullable<Date>;
  scheduled_change_id: Nullable<number>;
  activation_token_hash: Nullable<string>;
  activation_expires_at: Nullable<Date>;
  activated_at: Nullable<Date>;
}

/** ACC-1/2/3/6/7/8/13 applications and e-mail codes (issue 6). */
export interface AccountApplicationTables {
  email_codes: EmailCodesTable;
  account_applications: AccountApplicationsTable;
}
