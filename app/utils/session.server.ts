import { type AppLoadContext, createCookie, redirect } from "@remix-run/node";
import type { Actor } from "../../bff/actor.js";

const cookies = {
  secure: createCookie("portal_session", { httpOnly: true, sameSite: "lax", path: "/", secure: true }),
  plain: createCookie("portal_session", { httpOnly: true, sameSite: "lax", path: "/", secure: false }),
};
const cookieFor = (context: AppLoadContext) => (context.secureCookies ? cookies.secure : cookies.plain);

export function requestMeta(request: Request, context: AppLoadContext) {
  return { ip: context.clientIp, userAgent: request.headers.get("user-agent") ?? "" };
}

export async function sessionToken(request: Request, context: AppLoadContext): Promise<string | undefined> {
  const value: unknown = await cookieFor(context).parse(request.headers.get("cookie"));
  return typeof value === "string" ? value : undefined;
}

export function commitSession(context: AppLoadContext, token: string, expires: Date): Promise<string> {
  return cookieFor(context).serialize(token, { expires });
}

export function destroySession(context: AppLoadContext): Promise<string> {
  return cookieFor(context).serialize("", { maxAge: 0 });
}

export async function getActor(request: Request, context: AppLoadContext): Promise<Actor | null> {
  return context.services.auth.actorFromToken(await sessionToken(request, context), requestMeta(request, context));
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
 * (`/\t/evil` is `//evil` to a browser; CR/LF would break the Location header). Returns the
 * parsed path, so what is followed is exactly what was checked.
 */
export function safeRedirect(to: unknown, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || UNSAFE_CHARS.test(to)) return fallback;
  let url: URL;
  try {
    url = new URL(to, SAME_SITE);
  } catch {
    return fallback;
  }
  if (url.origin !== SAME_SITE) return fallback;
  return `${url.pathname}${url.search}${url.hash}`;
}
