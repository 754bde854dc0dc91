import type { AuthDeps } from "./deps.js";
import { createAfterFirstFactor } from "./after-first-factor.js";
import { createFirstFactor } from "./first-factor.js";
import { createPasskeySignIn } from "./passkey-sign-in.js";
import { createSessionLifecycle } from "./session-lifecycle.js";
import { createSignIn } from "./sign-in.js";

export type { AuthDeps, RequestMeta, SignInResult, SignInStep } from "./deps.js";

/**
 * Sign-in and sessions (IDN-1 to IDN-4, IDN-7), assembled from its parts: the first factor
 * (first-factor.ts), the ways in (sign-in.ts, passkey-sign-in.ts) and a session's life
 * (session-lifecycle.ts).
 */
export function createAuthService(deps: AuthDeps) {
  const firstFactor = createFirstFactor(deps);
  const sessions = createSessionLifecycle(deps, firstFactor.deviceFor);
  const afterFirstFactor = createAfterFirstFactor(deps, sessions);
  const passkeyDeps = { ...deps, rp: deps.rp ?? null };
  return {
    ...createSignIn(deps, firstFactor, sessions),
    ...sessions,
    ...createPasskeySignIn(passkeyDeps, firstFactor, sessions, afterFirstFactor),
  };
}

export type AuthService = ReturnType<typeof createAuthService>;
