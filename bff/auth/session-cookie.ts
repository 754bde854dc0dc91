import { createCookie } from "@remix-run/node";

/**
 * The portal session cookie (ADR 0023). With secure cookies (production behind TLS) it is
 * `__Host-portal_session`: the browser then insists on Secure, Path=/ and no Domain, so no
 * sibling host and no plain-http page can plant or overwrite it. Without TLS (embedded
 * demo, development) the prefix would make browsers drop the cookie, so the plain name stays.
 *
 * Rolling deploy: for one release the server reads both names (the new first), sets only
 * the new one, and moves a browser that still carries the old one (moveLegacyCookie), so
 * nobody is signed out by the rename. The release after drops LEGACY_NAME.
 */
export const HOST_NAME = "__Host-portal_session";
export const LEGACY_NAME = "portal_session";

const options = { httpOnly: true, sameSite: "lax" as const, path: "/" };
// Remix's cookie encoding (base64 JSON) is what browsers already carry: keep it.
const cookies = {
  host: createCookie(HOST_NAME, { ...options, secure: true }),
  legacySecure: createCookie(LEGACY_NAME, { ...options, secure: true }),
  plain: createCookie(LEGACY_NAME, { ...options, secure: false }),
};

/** The token a request carries and under which name; the new name wins over the old one. */
export async function readSessionCookie(
  cookieHeader: string | null | undefined,
  secure: boolean,
): Promise<{ token: string; legacy: boolean } | undefined> {
  const order = secure ? [cookies.host, cookies.legacySecure] : [cookies.plain];
  for (const cookie of order) {
    const value: unknown = await cookie.parse(cookieHeader ?? null);
    if (typeof value === "string" && value !== "")
      return { token: value, legacy: cookie.name === LEGACY_NAME && secure };
  }
  return undefined;
}

/** The Set-Cookie value that starts (or moves) a session. */
export function sessionSetCookie(secure: boolean, token: string, expires: Date): Promise<string> {
  return (secure ? cookies.host : cookies.plain).serialize(token, { expires });
}

/** Set-Cookie values that end the session cookie under every name this release knows. */
export async function sessionClearCookies(secure: boolean): Promise<string[]> {
  if (!secure) return [await cookies.plain.serialize("", { maxAge: 0 })];
  return [await cookies.host.serialize("", { maxAge: 0 }), await cookies.legacySecure.serialize("", { maxAge: 0 })];
}

/** Clears only the old name (after moving its token to the new one). */
export function legacyClearCookie(): Promise<string> {
  return cookies.legacySecure.serialize("", { maxAge: 0 });
}
