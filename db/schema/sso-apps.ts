import type { Default, Json, Nullable, RequiredJson } from "../schema.js";

/** IDN-6/8 integration applications and the app list (issue 8). */
export interface SsoAppTables {
  sso_applications: SsoApplicationsTable;
  app_list_entries: AppListEntriesTable;
  sso_rate_windows: SsoRateWindowsTable;
}

export type SsoApplicationStatus = "pending" | "approved" | "rejected";

export interface SsoApplicationsTable {
  id: Default<number>;
  applicant_id: number;
  system_name: string;
  owner_agency_id: number;
  contact_name: string;
  contact_phone: string;
  contact_email: string;
  /** JSON arrays of strings: write them with JSON.stringify. */
  redirect_uris: Default<Json>;
  post_logout_redirect_uri: Nullable<string>;
  initiate_login_uri: Nullable<string>;
  /** OpenID back-channel logout endpoint (0085, ADR 0023). */
  backchannel_logout_uri: Nullable<string>;
  grant_types: RequiredJson;
  scopes: RequiredJson;
  reason: string;
  status: Default<SsoApplicationStatus>;
  review_note: Default<string>;
  reviewed_by: Nullable<number>;
  reviewed_at: Nullable<Date>;
  client_id: Nullable<string>;
  /** The new client's secret, AES-256-GCM with the data key, until the applicant views it. */
  secret_enc: Nullable<string>;
  secret_expires_at: Nullable<Date>;
  secret_viewed_at: Nullable<Date>;
  created_at: Date;
  updated_at: Date;
}

export interface AppListEntriesTable {
  id: Default<number>;
  client_id: Nullable<string>;
  label: string;
  icon: Default<string>;
  url: Nullable<string>;
  sort: Default<number>;
  visible: Default<boolean>;
  created_at: Date;
  updated_at: Date;
}

export interface SsoRateWindowsTable {
  client_id: string;
  window_start: Date;
  count: number;
}

// Columns this feature adds to tables declared in db/schema.ts.
declare module "../schema.js" {
  interface OidcClientsTable {
    initiate_login_uri: Nullable<string>;
    pre_approved: Default<boolean>;
    disabled_at: Nullable<Date>;
    /** OpenID back-channel logout endpoint (0085, ADR 0023). */
    backchannel_logout_uri: Nullable<string>;
  }
  interface LoginRecordsTable {
    client_id: Nullable<string>;
  }
}
