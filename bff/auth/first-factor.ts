import { DomainError } from "../errors.js";
import { directParams } from "../params/store.js";
import type { AuthDeps, RequestMeta } from "./deps.js";
import type { KnownDevice } from "./known-device.js";
import { countAccountFailure, SIGNIN_REFUSED, throttledMessage } from "./lockout.js";
import { type LoginMethod, type LoginResult, recordLogin } from "./login-records.js";
import { clearUsernameThrottle, createThrottle, type ThrottleKey } from "./throttle.js";

/**
 * The first factor of every sign-in (IDN-1, ADR 0025): who the attempt counts against, the
 * password (or another credential) check, and the lock and status checks every method makes
 * once it knows the account. Refusals are recorded in the login records and thrown.
 */

/**
 * Where a password check comes from, which decides its throttle keys and lock rules
 * (ADR 0025): the portal's sign-in pages, the temporary-password page (its proof lifts a
 * lock), or another system through the verification API (counted apart, IDN-7).
 */
type Via = { kind: "portal" } | { kind: "temp" } | { kind: "rp"; clientId: string };

/** How `admit` treats one attempt once the account is known. */
export interface Gate {
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

export function createFirstFactor(deps: AuthDeps) {
  const { db, clock, hasher, devices } = deps;
  const reader = deps.params ?? directParams(db);
  const throttle = createThrottle(db);

  const passwordCredential: Credential = {
    field: "password",
    missing: "請輸入密碼",
    wrong: SIGNIN_REFUSED,
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

  return { passwordCredential, checkPassword, admit, deviceFor };
}

export type FirstFactor = ReturnType<typeof createFirstFactor>;
