import type { Generated } from "kysely";
import type { Default, Nullable } from "../schema.js";

/** IDN-2/3, NTF-3: TOTP used codes, temporary passwords, phone codes (issue 5). */
export interface SigninMethodTables {
  totp_enrolments: TotpEnrolmentsTable;
  totp_used_steps: TotpUsedStepsTable;
  signin_challenges: SigninChallengesTable;
  temporary_passwords: TemporaryPasswordsTable;
  phone_verifications: PhoneVerificationsTable;
  phone_code_sends: PhoneCodeSendsTable;
}

export interface TotpEnrolmentsTable {
  account_id: number;
  secret_enc: string;
  created_at: Date;
}

export interface TotpUsedStepsTable {
  account_id: number;
  last_step: number;
}

export interface SigninChallengesTable {
  id: string;
  account_id: number;
  first_method: string;
  failures: Default<number>;
  created_at: Date;
  expires_at: Date;
}

export interface TemporaryPasswordsTable {
  id: Generated<number>;
  account_id: number;
  hash: string;
  channel: "sms" | "mail";
  created_at: Date;
  expires_at: Date;
  used_at: Nullable<Date>;
  revoked_at: Nullable<Date>;
}

export interface PhoneVerificationsTable {
  account_id: number;
  mobile: string;
  code_hash: string;
  attempts: Default<number>;
  sent_at: Date;
  expires_at: Date;
}

export interface PhoneCodeSendsTable {
  id: Generated<number>;
  account_id: number;
  sent_at: Date;
}
