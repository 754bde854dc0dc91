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

/** Only same-site paths: an open redirect would hand our users to anyone. */
export function safeRedirect(to: unknown, fallback = "/"): string {
  if (typeof to !== "string" || !to.startsWith("/") || to.startsWith("//") || to.startsWith("/\\")) return fallback;
  return to;
}
