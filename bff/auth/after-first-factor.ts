import { openChallenge } from "./challenges.js";
import type { AuthDeps, RequestMeta, SignInStep } from "./deps.js";
import { type LoginMethod, recordLogin } from "./login-records.js";
import type { SessionLifecycle } from "./session-lifecycle.js";

/**
 * Where one factor leaves a sign-in (IDN-2): a session when the account has no TOTP, else a
 * challenge for the code (no session yet). Password, temporary password and a passkey
 * without user verification (ADR 0034) all end here.
 */
export function createAfterFirstFactor(deps: Pick<AuthDeps, "db" | "clock">, sessions: SessionLifecycle) {
  const { db, clock } = deps;
  return async function afterFirstFactor(
    checked: { accountId: number; username: string; totpEnabled: boolean },
    meta: RequestMeta,
    method: LoginMethod,
    clientId?: string,
  ): Promise<SignInStep> {
    const { accountId, username } = checked;
    if (!checked.totpEnabled) {
      return { kind: "session", ...(await sessions.openSession(accountId, username, meta, method, clientId)) };
    }
    const now = clock.now();
    const challenge = await openChallenge(db, { accountId, firstMethod: method, now });
    await recordLogin(db, { accountId, username, method, action: "login", result: "totp_required", ...meta, at: now });
    return { kind: "totp", challenge: challenge.token, expiresAt: challenge.expiresAt, accountId };
  };
}

export type AfterFirstFactor = ReturnType<typeof createAfterFirstFactor>;
