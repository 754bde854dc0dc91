import type { Database } from "../../db/index.js";
import { cleanText } from "../text.js";

export type LoginMethod =
  | "password"
  | "totp"
  /** ADR 0034: a TOTP recovery code in place of the app's code. */
  | "recovery_code"
  /** ADR 0034: a passkey (WebAuthn). */
  | "passkey"
  | "temp_password"
  | "certificate"
  | "sso"
  | "api";
export type LoginAction = "login" | "logout";
export type LoginResult =
  | "success"
  | "wrong_password"
  | "unknown_user"
  | "locked"
  | "disabled"
  | "inactive"
  | "invalid_input"
  /** IDN-2: the first factor passed; the TOTP code is still due. */
  | "totp_required"
  /** IDN-2: a wrong or reused TOTP code. */
  | "wrong_code"
  /** IDN-4: the certificate is not from a trusted CA, out of its dates, or not for signing. */
  | "bad_certificate"
  /** IDN-4: the signature over the challenge does not verify (counts towards the lockout). */
  | "bad_signature"
  /** IDN-4: the challenge was unknown, already used or expired (a replay lands here). */
  | "stale_challenge"
  /** Issue 17 item 8 (ADR 0035): the card's CA has revoked its certificate (CRL). */
  | "revoked_certificate"
  /** ADR 0035: no CRL in force for the card (none fetched yet, or past nextUpdate plus the grace). */
  | "revocation_unknown"
  /** ADR 0025: refused before the password was checked, the address or username must wait. */
  | "throttled";

export interface LoginRecordInput {
  accountId: number | null;
  username: string;
  method: LoginMethod;
  action: LoginAction;
  result: LoginResult;
  ip: string;
  userAgent: string;
  at: Date;
  /** The system a single sign-on or verification sign-in was for (IDN-6/7). */
  clientId?: string | null;
}

/** Every attempt is recorded, including hostile input, cleaned so the insert cannot fail. */
export async function recordLogin(db: Database, r: LoginRecordInput): Promise<void> {
  await db
    .insertInto("login_records")
    .values({
      account_id: r.accountId,
      username: cleanText(r.username, 64),
      method: r.method,
      action: r.action,
      result: r.result,
      ip: cleanText(r.ip, 64),
      user_agent: cleanText(r.userAgent, 400),
      at: r.at,
      client_id: r.clientId ?? null,
    })
    .execute();
  if (r.action === "login") for (const observe of signInObservers) observe(r.method, r.result);
}

/** Counts sign-in attempts as they are recorded (the metrics' portal_sign_ins_total, ADR 0029). */
export type SignInObserver = (method: LoginMethod, result: LoginResult) => void;
const signInObservers = new Set<SignInObserver>();

/**
 * Every sign-in attempt written from here on is reported to `observe` (a counter increment:
 * it must not throw or wait). Returns the unsubscribe. Module-wide rather than per service,
 * since every sign-in method records through this one function; one process has one container.
 */
export function observeSignIns(observe: SignInObserver): () => void {
  signInObservers.add(observe);
  return () => void signInObservers.delete(observe);
}
