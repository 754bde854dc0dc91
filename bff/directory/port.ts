/**
 * IDN-5: the Directory port. The portal is the source of truth for accounts and writes
 * them to Active Directory through this interface; `ldap-directory.ts` implements it over
 * LDAPS with ldapts, `not-configured.ts` stands in when AD_URL is unset, and an
 * intermediate "AD API host" (as the real system has) could be another adapter.
 *
 * Only objects the portal manages are ever changed: users inside the managed OUs (the
 * agency → OU map) that carry the managed marker (see MANAGED_MARK). Everything else in
 * AD is read at most.
 */

/** The attribute value that marks a user object as written by the portal. */
export const MANAGED_MARK = "portal-managed";
/** The attribute that holds MANAGED_MARK (present in every AD and Samba schema; see ADR 0011). */
export const MANAGED_ATTRIBUTE = "adminDescription";

/** The portal's view of one AD user: what the adapter writes, and what it reads back. */
export interface DirectoryUser {
  /** sAMAccountName and the CN: the portal username. The key of every lookup. */
  username: string;
  /** userPrincipalName, e.g. `alice@tainan.gov.tw`. */
  userPrincipalName: string;
  displayName: string;
  /** `sn`; for Chinese names the surname (see splitChineseName). */
  surname: string;
  /** `givenName`. */
  givenName: string;
  /** `mail`; null clears it. */
  mail: string | null;
  /** `title`. */
  title: string | null;
  /** `department`: the portal unit's name. */
  department: string | null;
  /** `telephoneNumber`. */
  telephoneNumber: string | null;
  /** userAccountControl 512 (enabled) or 514 (disabled). */
  enabled: boolean;
  /** The OU the user belongs in (from the agency → OU map), e.g. `OU=Finance,DC=tainan,DC=test`. */
  ou: string;
}

/** A user found in AD. `managed` tells whether the portal may change it. */
export interface FoundUser extends DirectoryUser {
  dn: string;
  managed: boolean;
}

/** What createOrUpdate did, for the sync state and the logs. */
export type SyncOutcome = { action: "created" | "updated" | "unchanged"; dn: string; moved: boolean };

/**
 * Why a directory call failed. The category decides what the job does:
 * - `not-configured`: no AD configuration; the job waits without counting an attempt.
 * - `unreachable`: network, TLS or timeout; retried for ever with capped backoff.
 * - `refused`: AD answered and said no (bind refused, insufficient rights, constraint).
 * - `password-policy`: AD refused the password (0000052D); retrying cannot help.
 * - `unmanaged`: the sAMAccountName belongs to an object the portal does not manage.
 * - `mapping`: the portal has no OU for the account's agency.
 * `message` is zh-TW and safe to show (never holds a password); `ldap` is AD's own text.
 */
export type DirectoryErrorCategory =
  "not-configured" | "unreachable" | "refused" | "password-policy" | "unmanaged" | "mapping";

export class DirectoryError extends Error {
  constructor(
    readonly category: DirectoryErrorCategory,
    message: string,
    /** The LDAP error text (code and AD's diagnostic), for the admin page. */
    readonly ldap?: string,
  ) {
    super(message);
    this.name = "DirectoryError";
  }
}

export interface DirectoryPort {
  /** False for the stand-in used when AD_URL is unset (calls throw `not-configured`). */
  readonly configured: boolean;
  /** The user with this sAMAccountName anywhere under the base DN, managed or not. */
  findUser(username: string): Promise<FoundUser | undefined>;
  /**
   * Makes AD hold `user`: creates it (in `user.ou`, marked managed) or updates the managed
   * object with this sAMAccountName, moving it (modifyDN) when its OU changed. Idempotent.
   * An existing object that is not managed is refused (`unmanaged`) unless `adopt` is set,
   * which marks it managed: the link import's accounts (issue 5 part 2).
   */
  createOrUpdate(user: DirectoryUser, opts?: { adopt?: boolean }): Promise<SyncOutcome>;
  /** Sets the password (unicodePwd over LDAPS). Refused passwords throw `password-policy`. */
  setPassword(username: string, password: string): Promise<void>;
  /** userAccountControl 512 / 514 on a managed user. */
  setEnabled(username: string, enabled: boolean): Promise<void>;
  /** Moves a managed user to another OU (modifyDN). Returns the new DN. */
  move(username: string, ou: string): Promise<string>;
  /** Every managed user (inside the managed OUs, carrying the marker): for reconcile. */
  listManaged(): Promise<FoundUser[]>;
  /**
   * Every person under the base DN, managed or not (AD's own critical system objects such
   * as Administrator and krbtgt left out): read only, for the link import and reconcile's
   * "unmanaged object" report (bff/directory/link-import.ts, reconcile.ts). Optional: a port
   * without it (a test double, a write-only AD API host) cannot link or reconcile.
   */
  listUsers?(): Promise<FoundUser[]>;
  /** Closes pooled connections. */
  close(): Promise<void>;
}
