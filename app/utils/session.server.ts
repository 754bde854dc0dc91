import { type AppLoadContext, redirect } from "@remix-run/node";
import type { Actor } from "../../bff/actor.js";
import {
  legacyClearCookie,
  readSessionCookie,
  sessionClearCookies,
  sessionSetCookie,
} from "../../bff/auth/session-cookie.js";

export function requestMeta(request: Request, context: AppLoadContext) {
  return { ip: context.clientIp, userAgent: request.headers.get("user-agent") ?? "" };
}

/** The session token the browser carries (`__Host-portal_session`, or the old name for one release). */
export async function sessionToken(request: Request, context: AppLoadContext): Promise<string | undefined> {
  return (await readSessionCookie(request.headers.get("cookie"), context.secureCookies))?.token;
}

/**
 * Set-Cookie values for a session that just started (every sign-in method). A session the
 * browser carried before is ended first (ASVS V3.2.1: a new token at every sign-in, and
 * the old one worth nothing), and so is the browser's single sign-on session when it is
 * someone else's: on a shared PC the next person must not inherit the previous one's
 * sign-ins to other systems. The SSO sign-in page passes keepProviderSession: there the
 * provider itself is finishing the sign-in.
 */
export async function startSession(
  request: Request,
  context: AppLoadContext,
  session: { token: string; expiresAt: Date; accountId: number },
  opts: { keepProviderSession?: boolean } = {},
): Promise<string[]> {
  const { auth, oidc } = context.services;
  const old = await sessionToken(request, context);
  if (old && old !== session.token) await auth.dropSession(old);
  if (!opts.keepProviderSession) {
    await oidc.endBrowserSession(context.http.req, context.http.res, {
      unlessAccount: await oidc.publicIdOf(session.accountId),
      // Kept when it is the same person's: then it belongs to the new session (ADR 0033).
      portalToken: session.token,
    });
  }
  const set = await sessionSetCookie(context.secureCookies, session.token, session.expiresAt);
  if (context.requestInfo) context.requestInfo.accountId = session.accountId; // signed in by this request
  // Secure mode: the old name (one release of both, ADR 0023) goes, so only the new one is left.
  return context.secureCookies ? [await legacyClearCookie(), set] : [set];
}

/** Set-Cookie values that end the session cookie (every name it may carry). */
export function destroySession(context: AppLoadContext): Promise<string[]> {
  return sessionClearCookies(context.secureCookies);
}

export async function getActor(request: Request, context: AppLoadContext): Promise<Actor | null> {
  const actor = await context.services.auth.actorFromToken(
    await sessionToken(request, context),
    requestMeta(request, context),
  );
  // The request's log line names who asked (ADR 0029).
  if (actor && context.requestInfo) context.requestInfo.accountId = actor.accountId;
  return actor;
}

/** The signed-in actor, or a redirect to the sign-in page that comes back here afterwards. */
export async function requireActor(request: Request, context: AppLoadContext): Promise<Actor> {
  const actor = await getActor(request, context);
  if (actor) return actor;
  const url = new URL(request.url);
  const back = url.pathname + url.search;
  throw redirect(back === "/" ? "/login" : `/login?redirectTo=${encodeURIComponent(back)}`);
}

/** Where relative paths are resolved to tell same-site from off-site; never shown or followed. */
const SAME_SITE = "https://portal.invalid";
/** Control, whitespace and separator characters (TAB, CR, LF, U+3000 …): browsers drop or split on them. */
const UNSAFE_CHARS = /[\p{C}\p{Z}\s]/u;

/**
 * Only same-site paths: an open redirect would hand our users to anyone. A value is followed only
 * if it is a path that resolves to our own origin and holds no control or whitespace character
 * (`/\t/evil` is `//evil` to a browser; CR/LF would break the Location header), and whose
 * resolved path does not start with `//` (a dot segment can make one). Returns the parsed
 * path, so what is followed is exactly what was checked.
 */
export function safeRedirect(to: unknown, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || UNSAFE_CHARS.test(to)) return fallback;
  let url: URL;
  try {
    url = new URL(to, SAME_SITE);
  } catch {
    return fallback;
  }
  // `/../\evil` resolves to the path `//evil`: same origin here, another site to a browser.
  if (url.origin !== SAME_SITE || url.pathname.startsWith("//")) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
