import { sql } from "kysely";
import type { Database } from "../../db/index.js";
import type { Actor } from "../actor.js";
import { DomainError, isDomainError } from "../errors.js";
import { directParams, type ParamReader } from "../params/store.js";
import type { Clock } from "../ports/clock.js";
import { closeChallenge, failChallenge, findChallenge, openChallenge } from "./challenges.js";
import type { PasswordHasher } from "./hashing.js";
import { type LoginMethod, type LoginResult, recordLogin } from "./login-records.js";
import { newSessionToken, sessionIdOf } from "./sessions.js";
import { consumeTemporaryPassword } from "./temporary-password.js";
import type { Totp } from "./totp.js";
import { inTransaction } from "../../db/transaction.js";

export interface RequestMeta {
  ip: string;
  userAgent: string;
}

export interface SignInResult {
  token: string;
  expiresAt: Date;
  accountId: number;
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
const WRONG = "帳號或密碼錯誤，請重新輸入。";
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
}) {
  const { db, clock, hasher } = deps;
  const reader = deps.params ?? directParams(db);

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
    throw new DomainError("invalid", message);
  }

  /**
   * IDN-1: username + password, lockout after repeated failures, every attempt recorded.
   * `method` names where the sign-in came from in the login records ("sso" for a sign-in
   * on behalf of another system, IDN-6).
   */
  async function checkPassword(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
    method: LoginMethod,
    credential: Credential = passwordCredential,
  ): Promise<{ accountId: number; username: string; totpEnabled: boolean }> {
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

    if (!USERNAME_RE.test(username)) {
      await hasher.dummyVerify("x");
      return refuse("invalid_input", credential.wrong, username, null, meta, method);
    }
    const account = await db
      .selectFrom("accounts")
      .select(["id", "password_hash", "status", "login_permission", "locked_at", "totp_enabled_at"])
      .where("username", "=", username)
      .executeTakeFirst();
    if (!account || !account.password_hash) {
      await hasher.dummyVerify(password.slice(0, MAX_PASSWORD_INPUT));
      return refuse(
        account ? "inactive" : "unknown_user",
        credential.wrong,
        username,
        account?.id ?? null,
        meta,
        method,
      );
    }

    const withHash = { id: account.id, password_hash: account.password_hash };
    await admit({ ...account, username }, meta, method, async () =>
      password.length <= MAX_PASSWORD_INPUT && (await credential.verify(withHash, password))
        ? null
        : { result: "wrong_password", message: credential.wrong },
    );
    return { accountId: account.id, username, totpEnabled: account.totp_enabled_at !== null };
  }

  /**
   * The checks every sign-in method makes once it knows the account, in the same order:
   * a lock (lifted when its cool-down has passed), then the credential (a refusal counts
   * towards the lockout), then the account's status. Refusals are recorded and thrown.
   */
  async function admit(
    account: { id: number; username: string; status: string; login_permission: string; locked_at: Date | null },
    meta: RequestMeta,
    method: LoginMethod,
    proveCredential: () => Promise<{ result: LoginResult; message: string } | null>,
  ): Promise<void> {
    const { username } = account;
    const params = await reader.all();
    const now = clock.now();
    if (account.login_permission === "locked") {
      const unlocked = await releaseExpiredLock(account.id, now, params.lockout_cooldown_minutes);
      if (!unlocked) {
        // No lock time: an admin locked it, and only an unlock lifts it.
        const message = account.locked_at
          ? `帳號已鎖定，請於 ${minutesLeft(account.locked_at, now, params.lockout_cooldown_minutes)} 分鐘後再試，或聯絡機關管理者解鎖。`
          : "帳號已被管理者鎖定，請聯絡機關管理者解鎖。";
        return refuse("locked", message, username, account.id, meta, method);
      }
    }

    const refusal = await proveCredential();
    if (refusal) {
      const locked = await countFailure(account.id, now, params.lockout_threshold);
      const message = locked
        ? `${refusal.message}連續錯誤 ${params.lockout_threshold} 次，帳號已鎖定 ${params.lockout_cooldown_minutes} 分鐘。`
        : refusal.message;
      return refuse(refusal.result, message, username, account.id, meta, method);
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
   * count, status, session, login record, last sign-in) is the password sign-in's.
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
    await admit(account, meta, method, proveCredential);
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

  /** IDN-3: username and a temporary password (single use); then TOTP like a password. */
  async function signInWithTemporaryPassword(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
  ): Promise<SignInStep> {
    const checked = await checkPassword(input, meta, "temp_password", {
      field: "password",
      missing: "請輸入臨時密碼",
      wrong: WRONG_TEMPORARY,
      verify: (account, secret) => consumeTemporaryPassword(db, hasher, account.id, secret, clock.now()),
    });
    return afterFirstFactor(checked, meta, "temp_password");
  }

  async function afterFirstFactor(
    checked: { accountId: number; username: string; totpEnabled: boolean },
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
    try {
      await admit(account, meta, "totp", async () => {
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
      if (current.login_permission === "locked" || current.status !== "enabled") await closeChallenge(db, challenge.id);
      const open = await findChallenge(db, token, clock.now());
      throw new DomainError(open ? "invalid" : "unauthenticated", e.message, open ? { code: "請重新輸入驗證碼" } : {});
    }
    if (!(await closeChallenge(db, challenge.id))) throw new DomainError("unauthenticated", CHALLENGE_GONE);
    return openSession(account.id, account.username, meta, method, opts.clientId);
  }

  /** A successful sign-in: failures reset, last sign-in set, a session and its login record. */
  async function openSession(
    accountId: number,
    username: string,
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<SignInResult> {
    const now = clock.now();
    const account = { id: accountId };
    return inTransaction(db, async (trx) => {
      await trx
        .updateTable("accounts")
        .set({ failed_login_count: 0, last_login_at: now })
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
  }

  /**
   * IDN-7: another system asks whether a username and password are valid. The same checks,
   * lockout and login record as a sign-in (method "api"), counted as a sign-in, but no
   * session. Refusals throw the same DomainError as signIn.
   */
  async function verifyCredentials(
    input: { username: unknown; password: unknown },
    meta: RequestMeta,
    clientId?: string,
  ) {
    const { accountId, username } = await checkPassword(input, meta, "api");
    const now = clock.now();
    await db
      .updateTable("accounts")
      .set({ failed_login_count: 0, last_login_at: now })
      .where("id", "=", accountId)
      .execute();
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

  /** Counts one failure; locks at the threshold. Returns true when this failure locked it. */
  async function countFailure(accountId: number, now: Date, threshold: number): Promise<boolean> {
    const row = await db
      .updateTable("accounts")
      .set({
        failed_login_count: sql`failed_login_count + 1`,
        login_permission: sql`CASE WHEN failed_login_count + 1 >= ${threshold} THEN 'locked' ELSE login_permission END`,
        locked_at: sql`CASE WHEN failed_login_count + 1 >= ${threshold} AND login_permission = 'normal' THEN ${now}::timestamptz ELSE locked_at END`,
      })
      .where("id", "=", accountId)
      .returning(["failed_login_count", "login_permission"])
      .executeTakeFirstOrThrow();
    return row.login_permission === "locked" && row.failed_login_count === threshold;
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
