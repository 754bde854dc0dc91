import type { Generated } from "kysely";
import type { Default, Nullable } from "../schema.js";

/** Issue 17 item 7 (ADR 0034): passkeys, their challenges, TOTP recovery codes. */
export interface PasskeyTables {
  passkeys: PasskeysTable;
  webauthn_challenges: WebauthnChallengesTable;
  totp_recovery_codes: TotpRecoveryCodesTable;
}

export interface PasskeysTable {
  id: Generated<number>;
  account_id: number;
  credential_id: string;
  /** The COSE public key, base64url. */
  public_key: string;
  counter: Default<number>;
  /** Comma-separated transports the authenticator reported ("internal,hybrid"). */
  transports: Default<string>;
  name: string;
  backed_up: Default<boolean>;
  created_at: Date;
  last_used_at: Nullable<Date>;
}

export interface WebauthnChallengesTable {
  challenge: string;
  purpose: "register" | "login";
  account_id: Nullable<number>;
  created_at: Date;
  expires_at: Date;
}

export interface TotpRecoveryCodesTable {
  id: Generated<number>;
  account_id: number;
  selector: string;
  hash: string;
  created_at: Date;
  used_at: Nullable<Date>;
}
