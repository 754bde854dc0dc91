import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";
import type { DirectoryTables } from "./schema/directory.js";
import type { SigninMethodTables } from "./schema/signin-methods.js";
import type { CertificateTables } from "./schema/certificates.js";
import type { ScheduledChangeTables } from "./schema/scheduled-changes.js";
import type { AccountApplicationTables } from "./schema/account-applications.js";
import type { AccountConsoleTables } from "./schema/account-console.js";
import type { SharedAccountTables } from "./schema/shared-accounts.js";
import type { SsoAppTables } from "./schema/sso-apps.js";
import type { WorkerHeartbeatTables } from "./schema/worker-heartbeats.js";
import type { ActionRateWindowTables } from "./schema/action-rate-windows.js";
import type { SigninThrottleTables } from "./schema/signin-throttle.js";
import type { PasskeyTables } from "./schema/passkeys.js";

/** Columns with a database default: optional on insert. */
export type Default<T> = ColumnType<T, T | undefined, T>;
export type Json = unknown;
/**
 * A NOT NULL json column without a default. A bare `Json` is `unknown`, and `undefined extends
 * unknown`: Kysely would let an insert leave it out (or give null) for the database to refuse.
 */
export type RequiredJson = ColumnType<Json, NonNullable<Json>, NonNullable<Json>>;
/** Nullable columns may be left out of an insert (they default to NULL). */
export type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;

export type Role = "user" | "agency_admin" | "sys_admin";
export type AccountStatus = "enabled" | "disabled" | "inactive";
export type LoginPermission = "normal" | "locked";
export type JobState = "pending" | "running" | "done" | "dead" | "cancelled";

export interface OrgNodesTable {
  id: Generated<number>;
  parent_id: Nullable<number>;
  kind: "agency" | "unit";
  name: string;
  code: Nullable<string>;
  sort: Default<number>;
  agency_id: ColumnType<number, never, never>;
  mail_quota: Nullable<number>;
  active: Default<boolean>;
  created_at: Default<Date>;
}

export interface SitesTable {
  id: Generated<number>;
  name: string;
  address: Default<string>;
  sort: Default<number>;
  active: Default<boolean>;
}

export interface AccountsTable {
  id: Generated<number>;
  public_id: Default<string>;
  username: string;
  name: string;
  title: Default<string>;
  unit_id: number;
  office_phone: Default<string>;
  office_ext: Default<string>;
  work_address: Default<string>;
  needs_official_mail: Default<boolean>;
  backup_email: Nullable<string>;
  totp_secret_enc: Nullable<string>;
  totp_enabled_at: Nullable<Date>;
  mobile: Nullable<string>;
  mobile_verified_at: Nullable<Date>;
  citizen_card_no: Nullable<string>;
  role: Default<Role>;
  status: Default<AccountStatus>;
  status_reason: Nullable<string>;
  status_changed_at: Nullable<Date>;
  login_permission: Default<LoginPermission>;
  failed_login_count: Default<number>;
  locked_at: Nullable<Date>;
  password_hash: Nullable<string>;
  password_changed_at: Nullable<Date>;
  last_login_at: Nullable<Date>;
  created_at: Default<Date>;
  updated_at: Default<Date>;
}

export interface SessionsTable {
  id: string;
  account_id: number;
  created_at: Date;
  last_seen_at: Date;
  expires_at: Date;
  ip: Default<string>;
  user_agent: Default<string>;
  /** The single sign-on session (oidc-provider Session uid) of the same browser (ADR 0033). */
  sso_session_uid: Nullable<string>;
}

export interface LoginRecordsTable {
  id: Generated<number>;
  account_id: Nullable<number>;
  username: string;
  method: string;
  action: string;
  result: string;
  ip: Default<string>;
  user_agent: Default<string>;
  at: Date;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: Date;
  actor_id: Nullable<number>;
  action: string;
  target_type: string;
  target_id: string;
  detail: Default<Json>;
  ip: Default<string>;
}

export interface JobsTable {
  id: Generated<number>;
  kind: string;
  payload: Default<Json>;
  state: Default<JobState>;
  run_at: Date;
  attempts: Default<number>;
  max_attempts: Nullable<number>;
  last_error: Nullable<string>;
  result: Nullable<Json>;
  idempotency_key: Nullable<string>;
  created_by: Nullable<number>;
  created_at: Date;
  updated_at: Date;
  finished_at: Nullable<Date>;
  /** The worker holding a 'running' job's lease (0080). */
  locked_by: Nullable<string>;
  /** When that lease runs out and another worker may take the job. */
  locked_until: Nullable<Date>;
  /** Jobs with one key never run at once (one AD job per account). */
  serial_key: Nullable<string>;
  /** Start of the retry window (0090); NULL: created_at. An admin's 重試 restarts it. */
  retry_from: Nullable<Date>;
  /** The lane it waits in (bff/jobs/lanes.ts, 0089); filled from the kind when left out. */
  lane: Nullable<string>;
  /** When the current or last attempt was claimed (0089). */
  started_at: Nullable<Date>;
}

/** One row per device a push job reached (0089): a re-run skips them. */
export interface PushDeliveriesTable {
  job_id: number;
  subscription_id: number;
  sent_at: Date;
}

export interface SystemParamsTable {
  key: string;
  value: RequiredJson;
  updated_at: Default<Date>;
  updated_by: Nullable<number>;
  /** Bumped by every change from 系統參數管理 (optimistic concurrency); 0 = inserted at its default. */
  version: Default<number>;
}

export interface DevMailboxTable {
  id: Generated<number>;
  channel: "mail" | "sms";
  to_address: string;
  subject: Default<string>;
  body: string;
  idempotency_key: Nullable<string>;
  created_at: Date;
}

export type ItemKind = "venue" | "car" | "driver";
export type BorrowScope = "all" | "own" | "listed";
export type BookingStatus = "pending" | "approved" | "rejected" | "cancelled";

export interface ItemsTable {
  id: Generated<number>;
  kind: ItemKind;
  agency_id: number;
  site_id: number;
  name: string;
  is_public: boolean;
  borrow_scope: BorrowScope;
  /** "HH:MM:SS" */
  open_from: Nullable<string>;
  open_to: Nullable<string>;
  floor: Nullable<string>;
  capacity: Nullable<number>;
  phone: Nullable<string>;
  description: Nullable<string>;
  rules: Nullable<string>;
  plate_no: Nullable<string>;
  passenger_limit: Nullable<number>;
  brand: Nullable<string>;
  year: Nullable<number>;
  displacement_cc: Nullable<number>;
  car_no: Nullable<string>;
  licence: Nullable<string>;
  note: Nullable<string>;
  deleted_at: Nullable<Date>;
  created_at: Date;
  updated_at: Date;
}

export interface ItemAllowedAgenciesTable {
  item_id: number;
  agency_id: number;
}

export interface ItemCustodiansTable {
  item_id: number;
  slot: number;
  account_id: number;
}

export interface CustodianChangesTable {
  id: Generated<number>;
  item_id: number;
  slot: number;
  from_account_id: Nullable<number>;
  to_account_id: Nullable<number>;
  reason: string;
  actor_id: Nullable<number>;
  at: Date;
}

export interface ItemImagesTable {
  id: Generated<number>;
  item_id: number;
  content_type: "image/jpeg" | "image/png" | "image/webp";
  bytes: Buffer;
  sort: Default<number>;
  created_at: Date;
}

export interface CarDriversTable {
  car_id: number;
  driver_id: number;
}

export interface BookingsTable {
  id: Generated<number>;
  item_id: number;
  applicant_id: number;
  /** A tstzrange literal, e.g. `["2026-11-30 01:00:00+00","2026-11-30 02:00:00+00")`. */
  during: string;
  status: BookingStatus;
  reason: string;
  attendees: Nullable<number>;
  passengers: Nullable<number>;
  destination: Nullable<string>;
  driver_id: Nullable<number>;
  decided_by: Nullable<number>;
  decided_at: Nullable<Date>;
  decision_comment: Nullable<string>;
  cancelled_at: Nullable<Date>;
  created_at: Date;
  updated_at: Date;
}

export interface PushSubscriptionsTable {
  id: Generated<number>;
  account_id: number;
  endpoint: string;
  p256dh: string;
  auth: string;
  device_label: Default<string>;
  created_at: Date;
  last_success_at: Nullable<Date>;
  last_failure_at: Nullable<Date>;
}

export interface AppKeysTable {
  name: string;
  value: RequiredJson;
  created_at: Date;
}

export interface DecisionTokensTable {
  id: string;
  kind: string;
  target_id: number;
  reviewer_id: number;
  expires_at: Date;
  used_at: Nullable<Date>;
  created_at: Date;
}

export type RepairStatus = "pending" | "processed" | "returned";

export interface RepairTypesTable {
  id: Generated<number>;
  agency_id: number;
  name: string;
  report_scope: BorrowScope;
  vendor_name: Nullable<string>;
  vendor_phone: Nullable<string>;
  categories: Default<string[]>;
  deleted_at: Nullable<Date>;
  created_at: Date;
  updated_at: Date;
}

export interface RepairTypeAgenciesTable {
  type_id: number;
  agency_id: number;
}

export interface RepairTypeVendorsTable {
  type_id: number;
  account_id: number;
}

export interface RepairTypeCustodiansTable {
  type_id: number;
  slot: number;
  account_id: number;
}

export interface RepairCustodianChangesTable {
  id: Generated<number>;
  type_id: number;
  slot: number;
  from_account_id: Nullable<number>;
  to_account_id: Nullable<number>;
  reason: string;
  actor_id: Nullable<number>;
  at: Date;
}

export interface RepairTicketsTable {
  id: Generated<number>;
  type_id: number;
  reporter_id: number;
  unit_id: number;
  phone: string;
  site_id: number;
  floor: string;
  description: string;
  status: RepairStatus;
  return_count: Default<number>;
  return_reason: Nullable<string>;
  handler_name: Nullable<string>;
  handled_at: Nullable<Date>;
  result: Nullable<string>;
  category: Nullable<string>;
  handled_by: Nullable<number>;
  created_at: Date;
  updated_at: Date;
}

export interface RepairPhotosTable {
  id: Generated<number>;
  ticket_id: number;
  content_type: "image/jpeg" | "image/png" | "image/webp";
  bytes: Buffer;
  sort: Default<number>;
  created_at: Date;
}

export interface OidcPayloadsTable {
  id: string;
  model: string;
  payload: RequiredJson;
  grant_id: Nullable<string>;
  user_code: Nullable<string>;
  uid: Nullable<string>;
  expires_at: Nullable<Date>;
  consumed_at: Nullable<Date>;
}

export interface OidcSigningKeysTable {
  kid: string;
  alg: "RS256" | "ES256";
  public_jwk: RequiredJson;
  private_enc: string;
  created_at: Date;
  /** Published from created_at; signs from sign_from (a rotation leaves a publish delay between). */
  sign_from: Default<Date>;
  retired_at: Nullable<Date>;
}

export interface OidcClientsTable {
  client_id: string;
  client_secret_hash: Nullable<string>;
  name: string;
  owner_agency_id: Nullable<number>;
  /** JSON arrays of strings: write them with JSON.stringify. */
  redirect_uris: Default<Json>;
  post_logout_redirect_uris: Default<Json>;
  grant_types: Default<Json>;
  scopes: Default<Json>;
  enabled: Default<boolean>;
  created_at: Default<Date>;
  updated_at: Default<Date>;
}

/** Each feature's tables live in db/schema/<feature>.ts and join here. */
export interface DB
  extends
    DirectoryTables,
    SigninMethodTables,
    CertificateTables,
    ScheduledChangeTables,
    AccountApplicationTables,
    AccountConsoleTables,
    SharedAccountTables,
    SsoAppTables,
    WorkerHeartbeatTables,
    ActionRateWindowTables,
    SigninThrottleTables,
    PasskeyTables {
  org_nodes: OrgNodesTable;
  sites: SitesTable;
  accounts: AccountsTable;
  sessions: SessionsTable;
  login_records: LoginRecordsTable;
  audit_log: AuditLogTable;
  jobs: JobsTable;
  system_params: SystemParamsTable;
  dev_mailbox: DevMailboxTable;
  items: ItemsTable;
  item_allowed_agencies: ItemAllowedAgenciesTable;
  item_custodians: ItemCustodiansTable;
  custodian_changes: CustodianChangesTable;
  item_images: ItemImagesTable;
  car_drivers: CarDriversTable;
  bookings: BookingsTable;
  push_subscriptions: PushSubscriptionsTable;
  push_deliveries: PushDeliveriesTable;
  app_keys: AppKeysTable;
  decision_tokens: DecisionTokensTable;
  repair_types: RepairTypesTable;
  repair_type_agencies: RepairTypeAgenciesTable;
  repair_type_vendors: RepairTypeVendorsTable;
  repair_type_custodians: RepairTypeCustodiansTable;
  repair_custodian_changes: RepairCustodianChangesTable;
  repair_tickets: RepairTicketsTable;
  repair_photos: RepairPhotosTable;
  oidc_payloads: OidcPayloadsTable;
  oidc_signing_keys: OidcSigningKeysTable;
  oidc_clients: OidcClientsTable;
}

export type Item = Selectable<ItemsTable>;
export type Booking = Selectable<BookingsTable>;

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type AccountUpdate = Updateable<AccountsTable>;
export type Job = Selectable<JobsTable>;
