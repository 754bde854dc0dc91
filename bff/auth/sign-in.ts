import { DomainError, isDomainError } from "../errors.js";
import { directParams } from "../params/store.js";
import { createAfterFirstFactor } from "./after-first-factor.js";
import { closeChallenge, failChallenge, findChallenge } from "./challenges.js";
import type { AuthDeps, RequestMeta, SignInResult, SignInStep } from "./deps.js";
import type { FirstFactor, Gate } from "./first-factor.js";
import { SIGNIN_REFUSED } from "./lockout.js";
import { type LoginMethod, type LoginResult, recordLogin } from "./login-records.js";
import type { SessionLifecycle } from "./session-lifecycle.js";
import { looksLikeRecoveryCode } from "./recovery-codes.js";
import { consumeTemporaryPassword } from "./temporary-password.js";

const WRONG_TEMPORARY = "帳號或臨時密碼錯誤，或臨時密碼已失效，請重新輸入。";
const CHALLENGE_GONE = "驗證已逾時，請重新登入。";

/** The ways in (IDN-1 to IDN-4, IDN-7): each runs the first factor, then TOTP if due, then opens a session. */
export function createSignIn(deps: AuthDeps, firstFactor: FirstFactor, sessions: SessionLifecycle) {
  const { db, clock, hasher } = deps;
  const reader = deps.params ?? directParams(db);
  const { passwordCredential, checkPassword, admit, deviceFor } = firstFactor;
  const { openSession } = sessions;
  const afterFirstFactor = createAfterFirstFactor(deps, sessions);

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
    // ADR 0034: a recovery code ("xxxxx-xxxxx") stands in for the app's code, once.
    const recovery = looksLikeRecoveryCode(code);
    try {
      await admit(account, meta, recovery ? "recovery_code" : "totp", gate, async () => {
        const right = recovery
          ? await deps.totp.useRecoveryCode(account.id, code, meta.ip)
          : await deps.totp.verifyForSignIn(account.id, code);
        if (right) return null;
        const dropped = await failChallenge(db, challenge.id);
        const again = recovery
          ? "復原碼錯誤或已使用過，請確認後重新輸入。"
          : "驗證碼錯誤或已使用過，請輸入 App 上最新的驗證碼。";
        return { result: "wrong_code", message: dropped ? "驗證碼錯誤次數過多，請重新登入。" : again };
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

  return {
    signIn,
    beginSignIn,
    signInWithTemporaryPassword,
    pendingChallenge,
    completeTotp,
    signInAccount,
    verifyCredentials,
  };
}

function minutesLeft(lockedAt: Date, now: Date, cooldownMinutes: number): number {
  const ms = lockedAt.getTime() + cooldownMinutes * 60_000 - now.getTime();
  return Math.max(1, Math.ceil(ms / 60_000));
}
