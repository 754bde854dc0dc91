import { verifyAuthenticationResponse } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import { DomainError } from "../errors.js";
import type { AfterFirstFactor } from "./after-first-factor.js";
import type { AuthDeps, RequestMeta, SignInStep } from "./deps.js";
import type { FirstFactor, Gate } from "./first-factor.js";
import { SIGNIN_REFUSED, throttledMessage } from "./lockout.js";
import { type LoginResult, recordLogin } from "./login-records.js";
import { challengeOf, spendChallenge } from "./passkey-challenges.js";
import { BAD_RESPONSE, readAuthentication } from "./passkey-schemas.js";
import { type RelyingParty, splitTransports, userHandleOf } from "./passkeys.js";
import type { SessionLifecycle } from "./session-lifecycle.js";
import { createThrottle } from "./throttle.js";

const M = {
  stale: "通行金鑰登入要求已逾時或已使用，請重新操作。",
  unknown: "此通行金鑰未登記於入口網，請改用帳號密碼登入，再至「我的 › 登入安全設定」新增。",
  refused: "通行金鑰驗證失敗，請重新操作或改用帳號密碼登入。",
};

/**
 * Sign-in with a passkey (issue 17 item 7, ADR 0034), on /login and the single sign-on pages.
 * The challenge is spent first (single use, any app server), then the credential found by
 * its id, its signature and counter checked by @simplewebauthn/server, and the account
 * admitted like every other method (lock, status, records). A user-verified passkey (PIN or
 * biometrics on the device) is two factors and opens the session; one without is a first
 * factor, and an account with TOTP on then still owes its code.
 */
export function createPasskeySignIn(
  deps: AuthDeps & { rp: RelyingParty | null },
  firstFactor: FirstFactor,
  sessions: SessionLifecycle,
  afterFirstFactor: AfterFirstFactor,
) {
  const { db, clock, rp } = deps;
  const throttle = createThrottle(db);

  /** A refusal before the account is known: recorded, counted against the address, thrown. */
  async function refuse(result: LoginResult, message: string, meta: RequestMeta): Promise<never> {
    const now = clock.now();
    await recordLogin(db, {
      accountId: null,
      username: "",
      method: "passkey",
      action: "login",
      result,
      ...meta,
      at: now,
    });
    await throttle.fail([{ kind: "ip", value: meta.ip }], now);
    throw new DomainError("invalid", message);
  }

  async function signInWithPasskey(
    rawResponse: unknown,
    meta: RequestMeta,
    opts: { clientId?: string } = {},
  ): Promise<SignInStep> {
    if (!rp) throw new DomainError("conflict", "本系統暫不提供通行金鑰登入。");
    const ip = { kind: "ip", value: meta.ip } as const;
    const wait = await throttle.waitSeconds([ip], clock.now());
    if (wait > 0) throw new DomainError("rate_limited", throttledMessage(wait));
    const response = readAuthentication(rawResponse);
    if (!response) return refuse("invalid_input", BAD_RESPONSE, meta);
    const challenge = challengeOf(response.response.clientDataJSON);
    const now = clock.now();
    if (!challenge || !(await spendChallenge(db, { challenge, purpose: "login", accountId: null, now }))) {
      return refuse("stale_challenge", M.stale, meta);
    }
    const found = await db
      .selectFrom("passkeys as p")
      .innerJoin("accounts as a", "a.id", "p.account_id")
      .select(["p.id as passkeyId", "p.public_key", "p.counter", "p.transports"])
      .select(["a.id", "a.username", "a.status", "a.login_permission", "a.locked_at", "a.totp_enabled_at"])
      .where("p.credential_id", "=", response.id)
      .executeTakeFirst();
    if (!found) return refuse("unknown_user", M.unknown, meta);

    let userVerified = false;
    const gate: Gate = { keys: [ip], passesLock: false, countsTowardLock: false, lockedMessage: SIGNIN_REFUSED };
    await firstFactor.admit(found, meta, "passkey", gate, async () => {
      // The authenticator names whose passkey it holds; it must be this credential's owner.
      const handle = response.response.userHandle;
      if (handle && handle !== isoBase64URL.fromBuffer(userHandleOf(found.id))) {
        return { result: "bad_signature", message: M.refused };
      }
      const verification = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: rp.origin,
        expectedRPID: rp.id,
        credential: {
          id: response.id,
          publicKey: isoBase64URL.toBuffer(found.public_key),
          counter: found.counter,
          transports: splitTransports(found.transports),
        },
        requireUserVerification: false,
      }).catch(() => null);
      if (!verification?.verified) return { result: "bad_signature", message: M.refused };
      // The counter moves only forward (a copied authenticator would repeat one), once.
      const { newCounter } = verification.authenticationInfo;
      const moved = await db
        .updateTable("passkeys")
        .set({ counter: newCounter, last_used_at: now })
        .where("id", "=", found.passkeyId)
        .where("counter", "=", found.counter)
        .returning("id")
        .executeTakeFirst();
      if (!moved) return { result: "bad_signature", message: M.refused };
      userVerified = verification.authenticationInfo.userVerified;
      return null;
    });
    const checked = { accountId: found.id, username: found.username, totpEnabled: found.totp_enabled_at !== null };
    if (userVerified) {
      const session = await sessions.openSession(found.id, found.username, meta, "passkey", opts.clientId);
      return { kind: "session", ...session };
    }
    return afterFirstFactor(checked, meta, "passkey", opts.clientId);
  }

  return { signInWithPasskey };
}
