import type { Database } from "../../db/index.js";
import { OUTBOUND_POLICIES } from "./policy.js";

/** The back-channel logout entry of the outbound policy table (policy.ts). */
const POLICY = OUTBOUND_POLICIES.backchannelLogout;
/** A sign-out must not wait long on a system that does not answer (ADR 0023). */
export const BACKCHANNEL_TIMEOUT_MS = POLICY.timeoutMs;

type FetchOptions = RequestInit & { dispatcher?: unknown };
export type OutboundFetch = (url: string | URL, options?: FetchOptions) => Promise<Response>;

/** The URL as fetch will send it, so a registered address and a request compare alike. */
function normalized(value: string): string | undefined {
  try {
    return new URL(value).href;
  } catch {
    return undefined;
  }
}

const originOf = (value: string) => {
  try {
    return new URL(value).origin;
  } catch {
    return "(not a URL)";
  }
};

/** Whether an enabled system registered exactly this back-channel logout address. */
export async function isRegisteredBackchannelUri(db: Database, url: string): Promise<boolean> {
  const target = normalized(url);
  if (!target || !(POLICY.schemes as readonly string[]).includes(new URL(target).protocol)) return false;
  const rows = await db
    .selectFrom("oidc_clients")
    .select("backchannel_logout_uri")
    .where("enabled", "=", true)
    .where("backchannel_logout_uri", "is not", null)
    .execute();
  return rows.some((r) => normalized(r.backchannel_logout_uri!) === target);
}

/**
 * oidc-provider's `fetch` (its only outbound requests here are back-channel logout tokens):
 * the outbound policy for that purpose (OUTBOUND_POLICIES.backchannelLogout, issue 14 item 2).
 * - only addresses an enabled system registered (an admin approved them), nothing else;
 * - private addresses allowed: city systems live on the intranet, so the provider's own
 *   special-use-address guard (its `dispatcher`) is dropped for these registered addresses;
 * - no redirects: a 3xx is a failure, never followed (a redirect could point anywhere);
 * - a short timeout (BACKCHANNEL_TIMEOUT_MS).
 * A refusal or failure rejects; the provider and the portal's sign-out log it and go on.
 */
export function backchannelLogoutFetch(deps: {
  db: Database;
  timeoutMs?: number;
  fetchImpl?: OutboundFetch;
}): OutboundFetch {
  const send = deps.fetchImpl ?? ((url, options) => globalThis.fetch(url, options));
  return async (url, options = {}) => {
    const href = String(url);
    if (!(await isRegisteredBackchannelUri(deps.db, href))) {
      throw new Error(`outbound request refused: ${originOf(href)} is not a registered back-channel logout URI`);
    }
    const { dispatcher: _specialUseGuard, signal: _providerTimeout, ...rest } = options;
    const res = await send(href, {
      ...rest,
      redirect: "manual",
      signal: AbortSignal.timeout(deps.timeoutMs ?? BACKCHANNEL_TIMEOUT_MS),
    });
    if (res.status >= 300 && res.status < 400) {
      throw new Error(`back-channel logout to ${originOf(href)} answered a redirect (${res.status}); not followed`);
    }
    return res;
  };
}
