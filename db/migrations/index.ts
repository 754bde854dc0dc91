import type { Migration } from "kysely";
import * as m0001 from "./0001_foundation.js";
import * as m0002 from "./0002_items_bookings.js";
import * as m0010 from "./0010_push.js";
import * as m0020 from "./0020_repairs.js";
import * as m0030 from "./0030_oidc.js";
import * as m0040 from "./0040_directory.js";
import * as m0050 from "./0050_signin_methods.js";
import * as m0055 from "./0055_certificates.js";
import * as m0060 from "./0060_scheduled_changes.js";
import * as m0061 from "./0061_account_applications.js";
import * as m0062 from "./0062_account_console.js";
import * as m0063 from "./0063_shared_accounts.js";
import * as m0070 from "./0070_sso_apps.js";
import * as m0071 from "./0071_system_params.js";
import * as m0080 from "./0080_job_leases.js";
import * as m0081 from "./0081_worker_heartbeats.js";
import * as m0082 from "./0082_oidc_key_schedule.js";
import * as m0083 from "./0083_signin_throttle.js";
import * as m0084 from "./0084_scheduled_change_once.js";
import * as m0085 from "./0085_backchannel_logout.js";
import * as m0086 from "./0086_action_rate_windows.js";
import * as m0088 from "./0088_strip_stored_image_metadata.js";
import * as m0089 from "./0089_job_lanes.js";
import * as m0090 from "./0090_job_retry_window.js";
import * as m0095 from "./0095_session_sso_link.js";
import * as m0097 from "./0097_passkeys.js";
import * as m0098 from "./0098_totp_recovery_codes.js";
import * as m0100 from "./0100_certificate_revocation.js";

/**
 * Every migration, in order. A static list keeps the build free of directory scans.
 * Released migrations never change (ADR 21): db/migrations/checksums.json holds each one's
 * checksum and tests/unit/migrations.test.ts fails when a file's SQL no longer matches it.
 * A new migration only adds (tables, columns, nullable columns, indexes); drops and renames
 * come one release after the code stopped using what they remove.
 */
export const migrations: Record<string, Migration> = {
  "0001_foundation": m0001,
  "0002_items_bookings": m0002,
  // 0003-0009 are left for the items work that lands alongside; names must stay in order.
  "0010_push": m0010,
  "0020_repairs": m0020,
  "0030_oidc": m0030,
  "0040_directory": m0040,
  "0050_signin_methods": m0050,
  "0055_certificates": m0055,
  "0060_scheduled_changes": m0060,
  "0061_account_applications": m0061,
  "0062_account_console": m0062,
  "0063_shared_accounts": m0063,
  "0070_sso_apps": m0070,
  "0071_system_params": m0071,
  "0080_job_leases": m0080,
  "0081_worker_heartbeats": m0081,
  "0082_oidc_key_schedule": m0082,
  "0083_signin_throttle": m0083,
  "0084_scheduled_change_once": m0084,
  "0085_backchannel_logout": m0085,
  "0086_action_rate_windows": m0086,
  "0088_strip_stored_image_metadata": m0088,
  "0089_job_lanes": m0089,
  "0090_job_retry_window": m0090,
  "0095_session_sso_link": m0095,
  "0097_passkeys": m0097,
  "0098_totp_recovery_codes": m0098,
  "0100_certificate_revocation": m0100,
};
