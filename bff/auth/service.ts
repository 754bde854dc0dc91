import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError, isDomainError } from "../errors.js";
import { directParams, type ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";
import { closeChallenge, failChallenge, findChallenge, openChallenge } from "./challenges.js";
import type { PasswordHasher } from "./hashing.js";
import type { KnownDevice, KnownDevices } from "./known-device.js";
import { countAccountFailure, LIFT_WRONG_PASSWORD_LOCK, SIGNIN_REFUSED, throttledMessage } from "./lockout.js";
import { type LoginMethod, type LoginResult, recordLogin } from "./login-records.js";
import { newSessionToken, sessionIdOf } from "./sessions.js";
import { consumeTemporaryPassword } from "./temporary-password.js";
import { clearUsernameThrottle, createThrottle, type ThrottleKey } from "./throttle.js";
import type { Totp } from "./totp.js";
import { inTransaction } from "../../db/transaction.js";

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
 * Where a password check comes from, which decides its throttle keys and lock rules
 * (ADR 0025): the portal's sign-in pages, the temporary-password page (its proof lifts a
 * lock), or another system through the verification API (counted apart, IDN-7).
 */
type Via = { kind: "portal" } | { kind: "temp" } | { kind: "rp"; clientId: string };

/** How `admit` treats one attempt once the account is known. */
interface Gate {
  /** Throttle keys a refusal counts against. */
  keys: ThrottleKey[];
  /** A lock from wrong passwords does not refuse (a known device, a temporary password, another system). */
  passesLock: boolean;
  /** A wrong credential counts towards the account's lock (not from a known device or another system). */
  countsTowardLock: boolean;
  lockedMessage: string;
  /** Spends the time a credential check would, so a lock is not told apart by timing. */
  spendTime?: () => Promise<void>;
}

/**
 * Where a first factor leaves the sign-in (IDN-2): signed in, or a TOTP code is due. The
 * challenge token goes to the browser (an httpOnly cookie); the state stays server-side.
 */
export type SignInStep =
  ({ kind: "session" } & SignInResult) | { kind: "totp"; challenge: string; expiresAt: Date; accountId: number };

/** The first factor a sign-in form takes: its field name and wording. */
interface Credential {
  field: string;
  missing: string;
  wrong: string;
  verify(account: { id: number; password_hash: string }, secret: string): Promise<boolean>;
}

const USERNAME_RE = /^[a-z0-9._-]{1,20}$/;
/** Longer than any password the policy allows; hashing megabytes would be a cheap DoS. */
const MAX_PASSWORD_INPUT = 1024;
const WRONG = SIGNIN_REFUSED;
const WRONG_TEMPORARY = "帳號或臨時密碼錯誤，或臨時密碼已失效，請重新輸入。";
const CHALLENGE_GONE = "驗證已逾時，請重新登入。";

export function createAuthService(deps: {
  db: Database;
  clock: Clock;
  hasher: PasswordHasher;
  sessionIdleMinutes: number;
  sessionMaxHours: number;
  /** IDN-2: the second factor of accounts that turned TOTP on. */
  totp: Pick<Totp, "verifyForSignIn">;
  /** PRT-5 system parameters (lockout); read straight from the table when absent. */
  params?: ParamReader;
  /** ADR 0025: the known-device cookies. */
  devices: KnownDevices;
  /** Where the owner of a newly locked account is mailed (their official mailbox). */
  officialMailDomain: string;
}) {
  const { db, clock, hasher, devices } = deps;
  const reader = deps.params ?? directParams(db);
  const throttle = createThrottle(db);

  const passwordCredential: Credential = {
    field: "password",
    missing: "請輸入密碼",
    wrong: WRONG,
    verify: (account, password) => hasher.verify(account.password_hash, password),
  };

  async function refuse(
    result: LoginResult,
    message: string,
    username: string,
    accountId: number | null,
    meta: RequestMeta,
    method: LoginMethod,
    code: "invalid" | "rate_limited" = "invalid",
  ): Promise<never> {
    await recordLogin(db, {
      accountId,
      username,
      method,
      action: "login",
      result,
      ...meta,
      at: clock.now(),
    });
    throw new DomainError(code, message);
  }

  /** The device a cookie names, only when it names this account. */
  function deviceFor(meta: RequestMeta, accountId: number | undefined): KnownDevice | null {
    const device = devices.read(meta.device, clock.now());
    return device && device.accountId === accountId ? device : null;
  }

  /**
   * ADR 0025: what an attempt counts against. A known device of the account counts only on
   * itself; otherwise the client address and the username (known or not, so the answer never
   * tells them apart); another system only on its own view of the username.
   */
  function gateKeys(username: string, meta: RequestMeta, via: Via, device: KnownDevice | null, threshold: number) {
    if (via.kind === "rp") return [{ kind: "rp", value: `${via.clientId}:${username}` }] satisfies ThrottleKey[];
    if (device) return [{ kind: "device", value: device.deviceId }] satisfies ThrottleKey[];
    const ip: ThrottleKey = { kind: "ip", value: meta.ip };
    // A username no account can have (bad characters) counts on the address alone.
    if (!USERNAME_RE.test(username)) return [ip];
    const own: ThrottleKey =
      via.kind === "temp" ? { kind: "temp", value: username } : { kind: "user", value: username, free: threshold };
    return [ip, own];
  }

  /**
   * IDN-1: username + password, every attempt recorded. ADR 0025: the throttle is asked
   * before any hash is computed; unknown, wrong and locked answer the same text after the
   * same hashing work. `method` names where the sign-in came from in the login records
   * ("sso" for a sign-in on behalf of another system, IDN-6).
   */
  async function checkPassword(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
    method: LoginMethod,
    credential: Credential = passwordCredential,
    via: Via = { kind: "portal" },
  ): Promise<{ accountId: number; username: string; totpEnabled: boolean; device: KnownDevice | null }> {
    const rawUsername = typeof input.username === "string" ? input.username : "";
    const password = typeof input.password === "string" ? input.password : "";
    const username = rawUsername.trim().toLowerCase();
    const fields: Record<string, string> = {};
    if (username === "") fields.username = "請輸入帳號";
    if (password === "") fields[credential.field] = credential.missing;
    if (Object.keys(fields).length > 0) {
      await recordLogin(db, {
        accountId: null,
        username,
        method,
        action: "login",
        result: "invalid_input",
        ...meta,
        at: clock.now(),
      });
      throw new DomainError(
        "invalid",
        `請輸入帳號及${credential === passwordCredential ? "密碼" : "臨時密碼"}。`,
        fields,
      );
    }

    const wellFormed = USERNAME_RE.test(username);
    const account = wellFormed
      ? await db
          .selectFrom("accounts")
          .select(["id", "password_hash", "status", "login_permission", "locked_at", "totp_enabled_at"])
          .where("username", "=", username)
          .executeTakeFirst()
      : undefined;
    const params = await reader.all();
    const device = via.kind === "rp" ? null : deviceFor(meta, account?.id);
    const keys = gateKeys(username, meta, via, device, params.lockout_threshold);
    const wait = await throttle.waitSeconds(keys, clock.now());
    if (wait > 0) {
      return refuse("throttled", throttledMessage(wait), username, account?.id ?? null, meta, method, "rate_limited");
    }
    const spendTime = () => hasher.dummyVerify(password.slice(0, MAX_PASSWORD_INPUT));

    if (!account || !account.password_hash) {
      await spendTime();
      await throttle.fail(keys, clock.now());
      const result = !wellFormed ? "invalid_input" : account ? "inactive" : "unknown_user";
      return refuse(result, credential.wrong, username, account?.id ?? null, meta, method);
    }

    const withHash = { id: account.id, password_hash: account.password_hash };
    const gate: Gate = {
      keys,
      passesLock: device !== null || via.kind !== "portal",
      countsTowardLock: device === null && via.kind !== "rp",
      lockedMessage: credential.wrong,
      spendTime,
    };
    await admit({ ...account, username }, meta, method, gate, async () =>
      password.length <= MAX_PASSWORD_INPUT && (await credential.verify(withHash, password))
        ? null
        : { result: "wrong_password", message: credential.wrong },
    );
    // The owner proved it: the username's (or device's) delays end; the address keeps its own.
    // A temporary password also ends the delays a stranger's wrong passwords caused.
    if (via.kind === "temp") await clearUsernameThrottle(db, username);
    await throttle.clear(keys.filter((k) => k.kind !== "ip"));
    return { accountId: account.id, username, totpEnabled: account.totp_enabled_at !== null, device };
  }

  /**
   * The checks every sign-in method makes once it knows the account, in the same order:
   * a lock (lifted when its cool-down has passed; passed by a known device or a temporary
   * password, never an admin's lock), then the credential (a refusal counts against the
   * gate's throttle keys and, from an unknown device, towards the lock), then the account's
   * status. Refusals are recorded and thrown.
   */
  async function admit(
    account: { id: number; username: string; status: string; login_permission: string; locked_at: Date | null },
    meta: RequestMeta,
    method: LoginMethod,
    gate: Gate,
    proveCredential: () => Promise<{ result: LoginResult; message: string } | null>,
  ): Promise<void> {
    const { username } = account;
    const params = await reader.all();
    const now = clock.now();
    if (account.login_permission === "locked") {
      // No lock time: an admin locked it, and only an unlock lifts it.
      const byGuesses = account.locked_at !== null;
      const passes =
        byGuesses && (gate.passesLock || (await releaseExpiredLock(account.id, now, params.lockout_cooldown_minutes)));
      if (!passes) {
        await gate.spendTime?.();
        await throttle.fail(gate.keys, now);
        return refuse("locked", gate.lockedMessage, username, account.id, meta, method);
      }
    }

    const refusal = await proveCredential();
    if (refusal) {
      await throttle.fail(gate.keys, now);
      if (gate.countsTowardLock) {
        await countAccountFailure(db, account, now, {
          threshold: params.lockout_threshold,
          cooldownMinutes: params.lockout_cooldown_minutes,
          officialMailDomain: deps.officialMailDomain,
        });
      }
      return refuse(refusal.result, refusal.message, username, account.id, meta, method);
    }
    if (account.status === "disabled") {
      return refuse("disabled", "帳號已停用，請聯絡機關管理者。", username, account.id, meta, method);
    }
    if (account.status === "inactive") {
      return refuse("inactive", "帳號尚未開通，請先完成開通帳號。", username, account.id, meta, method);
    }
  }

  /**
   * A sign-in whose credential is not a password (IDN-4 certificate): the caller found the
   * account, `proveCredential` checks the credential, and everything else (lock, failure
   * count, status, session, login record, last sign-in) is the password sign-in's. The card
   * holder is identified, so a lock is named (with its way out).
   */
  async function signInAccount(
    accountId: number,
    meta: RequestMeta,
    method: LoginMethod,
    proveCredential: () => Promise<{ result: LoginResult; message: string } | null>,
  ): Promise<SignInResult> {
    const account = await db
      .selectFrom("accounts")
      .select(["id", "username", "status", "login_permission", "locked_at"])
      .where("id", "=", accountId)
      .executeTakeFirstOrThrow();
    const params = await reader.all();
    const lockedMessage = account.locked_at
      ? `帳號已鎖定，請於 ${minutesLeft(account.locked_at, clock.now(), params.lockout_cooldown_minutes)} 分鐘後再試，或使用「臨時密碼登入」或「忘記密碼」解除鎖定。`
      : "帳號已被管理者鎖定，請聯絡機關管理者解鎖。";
    const gate: Gate = { keys: [], passesLock: false, countsTowardLock: true, lockedMessage };
    await admit(account, meta, method, gate, proveCredential);
    return openSession(account.id, account.username, meta, method);
  }

  /**
   * IDN-1/2: username and password; an account with TOTP on gets a challenge instead of a
   * session. Its failed-attempt count is not reset yet: a password alone proves too little.
   */
  async function beginSignIn(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
    opts: { method?: LoginMethod; clientId?: string } = {},
  ): Promise<SignInStep> {
    const method = opts.method ?? "password";
    const checked = await checkPassword(input, meta, method);
    return afterFirstFactor(checked, meta, method, opts.clientId);
  }

  /** A password sign-in that must end in a session: refused for accounts with TOTP on. */
  async function signIn(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
    opts: { method?: LoginMethod; clientId?: string } = {},
  ): Promise<SignInResult> {
    const step = await beginSignIn(input, meta, opts);
    if (step.kind !== "session") throw new DomainError("invalid", "此帳號已啟用兩步驟驗證，請輸入驗證碼。");
    return step;
  }

  /**
   * IDN-3: username and a temporary password (single use); then TOTP like a password. Its
   * proof passes a lock from wrong passwords, and the session it opens lifts it (ADR 0025).
   */
  async function signInWithTemporaryPassword(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
  ): Promise<SignInStep> {
    const checked = await checkPassword(
      input,
      meta,
      "temp_password",
      {
        field: "password",
        missing: "請輸入臨時密碼",
        wrong: WRONG_TEMPORARY,
        verify: (account, secret) => consumeTemporaryPassword(db, hasher, account.id, secret, clock.now()),
      },
      { kind: "temp" },
    );
    return afterFirstFactor(checked, meta, "temp_password");
  }

  async function afterFirstFactor(
    checked: { accountId: number; username: string; totpEnabled: boolean; device: KnownDevice | null },
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<SignInStep> {
    const { accountId, username } = checked;
    if (!checked.totpEnabled) {
      return { kind: "session", ...(await openSession(accountId, username, meta, method, clientId)) };
    }
    const now = clock.now();
    const challenge = await openChallenge(db, { accountId, firstMethod: method, now });
    await recordLogin(db, { accountId, username, method, action: "login", result: "totp_required", ...meta, at: now });
    return { kind: "totp", challenge: challenge.token, expiresAt: challenge.expiresAt, accountId };
  }

  /** The account a challenge token belongs to, while it is open (the code form's loader). */
  async function pendingChallenge(token: unknown): Promise<{ accountId: number } | null> {
    const challenge = await findChallenge(db, token, clock.now());
    return challenge ? { accountId: challenge.accountId } : null;
  }

  /**
   * IDN-2 second step: the TOTP code for an open challenge. A wrong code counts toward the
   * lockout like a wrong password and is recorded; the session exists only after a right one.
   * `method` overrides the first factor's in the login record (a single sign-on page, IDN-6).
   * A challenge opened by a temporary password or on a known device passes a lock from
   * wrong passwords, as its first step did.
   */
  async function completeTotp(
    token: unknown,
    code: unknown,
    meta: RequestMeta,
    opts: { method?: LoginMethod; clientId?: string } = {},
  ): Promise<SignInResult> {
    const challenge = await findChallenge(db, token, clock.now());
    if (!challenge) throw new DomainError("unauthenticated", CHALLENGE_GONE);
    const account = await db
      .selectFrom("accounts")
      .select(["id", "username", "status", "login_permission", "locked_at"])
      .where("id", "=", challenge.accountId)
      .executeTakeFirstOrThrow();
    const method = opts.method ?? (challenge.firstMethod as LoginMethod);
    const known = deviceFor(meta, account.id) !== null;
    const gate: Gate = {
      keys: [],
      passesLock: known || challenge.firstMethod === "temp_password",
      countsTowardLock: !known,
      lockedMessage: SIGNIN_REFUSED,
    };
    try {
      await admit(account, meta, "totp", gate, async () => {
        if (await deps.totp.verifyForSignIn(account.id, code)) return null;
        const dropped = await failChallenge(db, challenge.id);
        return {
          result: "wrong_code",
          message: dropped ? "驗證碼錯誤次數過多，請重新登入。" : "驗證碼錯誤或已使用過，請輸入 App 上最新的驗證碼。",
        };
      });
    } catch (e) {
      if (!isDomainError(e)) throw e;
      // A locked or disabled account's half sign-in ends here; otherwise the code may be retried.
      const current = await db
        .selectFrom("accounts")
        .select(["login_permission", "status"])
        .where("id", "=", account.id)
        .executeTakeFirstOrThrow();
      if ((current.login_permission === "locked" && !gate.passesLock) || current.status !== "enabled")
        await closeChallenge(db, challenge.id);
      const open = await findChallenge(db, token, clock.now());
      throw new DomainError(open ? "invalid" : "unauthenticated", e.message, open ? { code: "請重新輸入驗證碼" } : {});
    }
    if (!(await closeChallenge(db, challenge.id))) throw new DomainError("unauthenticated", CHALLENGE_GONE);
    return openSession(account.id, account.username, meta, method, opts.clientId);
  }

  /**
   * A successful sign-in: failures reset, a lock from wrong passwords lifted (the owner is
   * in), last sign-in set, a session and its login record, and the device becomes known.
   */
  async function openSession(
    accountId: number,
    username: string,
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<SignInResult> {
    const now = clock.now();
    const account = { id: accountId };
    const result = await inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({
          last_login_at: now,
          ...LIFT_WRONG_PASSWORD_LOCK,
        })
        .where("id", "=", account.id)
        .execute();
      const { token, id } = newSessionToken();
      const expiresAt = new Date(now.getTime() + deps.sessionMaxHours * 3600_000);
      await trx
        .insertInto("sessions")
        .values({
          id,
          account_id: account.id,
          created_at: now,
          last_seen_at: now,
          expires_at: expiresAt,
          ip: meta.ip.slice(0, 64),
          user_agent: meta.userAgent.slice(0, 400),
        })
        .execute();
      await recordLogin(trx, {
        accountId: account.id,
        username,
        method,
        action: "login",
        result: "success",
        ...meta,
        at: now,
        clientId,
      });
      return { token, expiresAt, accountId: account.id };
    });
    const device = devices.issue(accountId, now, deviceFor(meta, accountId)?.deviceId);
    return { ...result, device };
  }

  /**
   * IDN-7: another system asks whether a username and password are valid. The same checks
   * and login record as a sign-in (method "api"), but no session, and (issue 14, ADR 0025)
   * its failures are counted apart, per system and username: they never lock the person
   * out of the portal, and a portal lock from wrong passwords does not refuse it (an
   * admin's lock does). Refusals throw the same DomainError as signIn.
   */
  async function verifyCredentials(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
    clientId: string,
  ) {
    const { accountId, username } = await checkPassword(input, meta, "api", passwordCredential, {
      kind: "rp",
      clientId,
    });
    const now = clock.now();
    await db.updateTable("accounts").set({ last_login_at: now }).where("id", "=", accountId).execute();
    await recordLogin(db, {
      accountId,
      username,
      method: "api",
      action: "login",
      result: "success",
      ...meta,
      at: now,
      clientId,
    });
    return accountId;
  }

  /** Clears a lock whose cool-down has passed. Atomic, so two requests cannot both decide. */
  async function releaseExpiredLock(accountId: number, now: Date, cooldownMinutes: number): Promise<boolean> {
    const row = await db
      .updateTable("accounts")
      .set({ login_permission: "normal", failed_login_count: 0, locked_at: null })
      .where("id", "=", accountId)
      .where("login_permission", "=", "locked")
      .where("locked_at", "<=", new Date(now.getTime() - cooldownMinutes * 60_000))
      .returning("id")
      .executeTakeFirst();
    return row !== undefined;
  }

  /**
   * A sign-in to another system from an existing portal session (IDN-6/8): recorded like
   * any sign-in and counted as the account's last sign-in.
   */
  async function recordSessionSignIn(
    actor: Actor,
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<void> {
    const now = clock.now();
    await db.updateTable("accounts").set({ last_login_at: now }).where("id", "=", actor.accountId).execute();
    await recordLogin(db, {
      accountId: actor.accountId,
      username: actor.username,
      method,
      action: "login",
      result: "success",
      ...meta,
      at: now,
      clientId,
    });
  }

  /**
   * Ends the session a browser carried when it signs in again (ADR 0023): every sign-in
   * gets a new token and the old one stops working at once.
   */
  async function dropSession(token: string): Promise<void> {
    if (token.length > 100) return;
    await db.deleteFrom("sessions").where("id", "=", sessionIdOf(token)).execute();
  }

  /** When a live session ends at the latest (its cookie's expiry), or null when it is gone. */
  async function sessionExpiry(token: string): Promise<Date | null> {
    if (token.length > 100) return null;
    const row = await db
      .selectFrom("sessions")
      .select("expires_at")
      .where("id", "=", sessionIdOf(token))
      .where("expires_at", ">", clock.now())
      .executeTakeFirst();
    return row?.expires_at ?? null;
  }

  async function signOut(token: string, meta: RequestMeta): Promise<void> {
    const session = await db
      .deleteFrom("sessions")
      .where("id", "=", sessionIdOf(token))
      .returning("account_id")
      .executeTakeFirst();
    if (!session) return;
    const account = await db
      .selectFrom("accounts")
      .select("username")
      .where("id", "=", session.account_id)
      .executeTakeFirst();
    await recordLogin(db, {
      accountId: session.account_id,
      username: account?.username ?? "",
      method: "password",
      action: "logout",
      result: "success",
      ...meta,
      at: clock.now(),
    });
  }

  /**
   * The actor behind a session cookie, or null. An account that is no longer enabled has
   * no actor, so an admin's disable takes effect at the next request on every app server.
   */
  async function actorFromToken(token: string | undefined, meta: RequestMeta): Promise<Actor | null> {
    if (!token || token.length > 100) return null;
    const now = clock.now();
    const idleSince = new Date(now.getTime() - deps.sessionIdleMinutes * 60_000);
    const row = await db
      .selectFrom("sessions as s")
      .innerJoin("accounts as a", "a.id", "s.account_id")
      .innerJoin("org_nodes as u", "u.id", "a.unit_id")
      .select([
        "s.id as sessionId",
        "s.last_seen_at",
        "a.id",
        "a.username",
        "a.name",
        "a.role",
        "a.unit_id",
        "u.agency_id",
      ])
      .where("s.id", "=", sessionIdOf(token))
      .where("s.expires_at", ">", now)
      .where("s.last_seen_at", ">", idleSince)
      .where("a.status", "=", "enabled")
      .executeTakeFirst();
    if (!row) return null;
    // Touch at most once a minute: a write per request would cost more than it tells.
    if (now.getTime() - row.last_seen_at.getTime() > 60_000) {
      await db.updateTable("sessions").set({ last_seen_at: now }).where("id", "=", row.sessionId).execute();
    }
    return {
      accountId: row.id,
      username: row.username,
      name: row.name,
      role: row.role,
      agencyId: row.agency_id,
      unitId: row.unit_id,
      sessionId: row.sessionId,
      ip: meta.ip,
    };
  }

  return {
    signIn,
    beginSignIn,
    signInWithTemporaryPassword,
    pendingChallenge,
    completeTotp,
    signInAccount,
    signOut,
    dropSession,
    sessionExpiry,
    actorFromToken,
    recordSessionSignIn,
    verifyCredentials,
  };
}

function minutesLeft(lockedAt: Date, now: Date, cooldownMinutes: number): number {
  const ms = lockedAt.getTime() + cooldownMinutes * 60_000 - now.getTime();
  return Math.max(1, Math.ceil(ms / 60_000));
}

export type AuthService = ReturnType<typeof createAuthService>;
