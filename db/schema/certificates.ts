import type { ColumnType } from "kysely";
import type { Nullable } from "../schema.js";

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

export interface CertificateTables {
  cert_challenges: CertChallengesTable;
}
