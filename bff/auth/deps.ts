import type { Database } from "../../db/index.js";
import type { ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";
import type { PasswordHasher } from "./hashing.js";
import type { KnownDevices } from "./known-device.js";
import type { RelyingParty } from "./passkeys.js";
import type { Totp } from "./totp.js";

/** What the sign-in service is built from (bff/container.ts). */
export interface AuthDeps {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** IDN-2: the second factor of accounts that turned TOTP on (or one of its recovery codes). */
  totp: Pick<Totp, "verifyForSignIn" | "useRecoveryCode">;
  /** PRT-5 system parameters (lockout); read straight from the table when absent. */
  params?: ParamReader;
  /** ADR 0025: the known-device cookies. */
  devices: KnownDevices;
  /** Where the owner of a newly locked account is mailed (their official mailbox). */
  officialMailDomain: string;
  /** ADR 0034: the WebAuthn relying party (from PUBLIC_ORIGIN); no passkey sign-in without it. */
  rp?: RelyingParty | null;
}

export interface RequestMeta {
  ip: string;
  userAgent: string;
  /** The known-device cookie as the browser sent it (ADR 0025); checked here, never trusted. */
  device?: string;
}

export interface SignInResult {
  token: string;
  expiresAt: Date;
  accountId: number;
  /** The known-device cookie to set (renewed at every sign-in), ADR 0025. */
  device?: { value: string; expiresAt: Date };
}

/**
 * Where a first factor leaves the sign-in (IDN-2): signed in, or a TOTP code is due. The
 * challenge token goes to the browser (an httpOnly cookie); the state stays server-side.
 */
export type SignInStep =
  ({ kind: "session" } & SignInResult) | { kind: "totp"; challenge: string; expiresAt: Date; accountId: number };
