import type { Nullable } from "../schema.js";

/** IDN-5 Active Directory sync: one row per account the sync has touched. */
export interface DirectorySyncStateTable {
  account_id: number;
  /** The user's DN after the last successful sync. */
  dn: Nullable<string>;
  /** Set by the link import: the AD user existed before the portal and is adopted on first sync. */
  linked_at: Nullable<Date>;
  /** Last time AD matched the portal for this account. */
  synced_at: Nullable<Date>;
  /** zh-TW reason of the last failed sync; null once a sync succeeds. */
  sync_error: Nullable<string>;
  /** AD's own error text (LDAP code and diagnostic) for the admin page. */
  sync_error_ldap: Nullable<string>;
  sync_error_at: Nullable<Date>;
  password_synced_at: Nullable<Date>;
  /** Why AD did not take the last password, e.g. 密碼不符合 AD 密碼原則; null once one is taken. */
  password_error: Nullable<string>;
  password_error_at: Nullable<Date>;
  updated_at: Date;
}

export interface DirectoryTables {
  directory_sync_state: DirectorySyncStateTable;
}
