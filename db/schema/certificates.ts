import type { ColumnType } from "kysely";
import type { Default, Nullable } from "../schema.js";

/** IDN-4 citizen certificate challenges (issue 5): single use, short-lived. */
export interface CertChallengesTable {
  id: ColumnType<string, string | undefined, never>;
  purpose: "login" | "link";
  /** Random, base64url; the card signs a text that contains it. */
  nonce: string;
  /** The signed-in account a "link" challenge was issued to; null for sign-in. */
  account_id: Nullable<number>;
  created_at: Date;
  expires_at: Date;
  used_at: Nullable<Date>;
}

/** Issue 17 item 8 (ADR 0035): a CRL URL and what its last stored list said. */
export interface CertCrlSourcesTable {
  url: string;
  /** Listed in CERT_CRL_URLS, or named by a card's cRLDistributionPoints. */
  origin: "config" | "certificate";
  /** The CA (sha256 fingerprint, as node gives it) whose key signed the stored list. */
  ca_fingerprint: Nullable<string>;
  ca_subject: Nullable<string>;
  this_update: Nullable<Date>;
  next_update: Nullable<Date>;
  crl_number: Nullable<string>;
  entries: Default<number>;
  fetched_at: Nullable<Date>;
  last_attempt_at: Nullable<Date>;
  last_error: Nullable<string>;
  created_at: Date;
}

/** A serial number (lower-case hex, no leading zeros) on the CRL stored for `url`. */
export interface CertRevokedTable {
  url: string;
  serial: string;
  revoked_at: Date;
  reason: Nullable<number>;
}

export interface CertificateTables {
  cert_challenges: CertChallengesTable;
  cert_crl_sources: CertCrlSourcesTable;
  cert_revoked: CertRevokedTable;
}
