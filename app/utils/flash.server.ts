import { type AppLoadContext, createCookie, redirect, type TypedResponse } from "@remix-run/node";
import type { Flash } from "./flash";

/**
 * Redirect-after-POST with a one-time message (epic-stack's toast.server.ts is the model):
 * the message rides in a signed, short-lived cookie, the root loader reads it once and
 * clears it, and the root shows it in a live region. One-time secrets never travel this way:
 * they render in the POST response with Cache-Control: no-store.
 */
const cookies = new Map<string, ReturnType<typeof createCookie>>();

function flashCookie(context: AppLoadContext) {
  const key = `${context.secureCookies}:${context.cookieSecret}`;
  let cookie = cookies.get(key);
  if (!cookie) {
    cookie = createCookie("portal_flash", {
      httpOnly: true,
      sameSite: "lax",
      path: "/",
      secure: context.secureCookies,
      secrets: [context.cookieSecret],
      // Long enough for a slow phone to follow the redirect, short enough not to linger.
      maxAge: 60,
    });
    cookies.set(key, cookie);
  }
  return cookie;
}

const MAX_MESSAGE = 300;

function isFlash(v: unknown): v is Flash {
  const f = v as Flash | null;
  return (
    typeof f === "object" &&
    f !== null &&
    (f.kind === "success" || f.kind === "error" || f.kind === "info") &&
    typeof f.message === "string"
  );
}

/** The Set-Cookie header that carries `flash` to the next page. */
export function flashHeader(context: AppLoadContext, flash: Flash): Promise<string> {
  return flashCookie(context).serialize({ kind: flash.kind, message: flash.message.slice(0, MAX_MESSAGE) });
}

/** A 303 to `url` that shows `message` there once. */
export async function redirectWithFlash(
  context: AppLoadContext,
  url: string,
  flash: Flash | string,
  init: { headers?: HeadersInit } = {},
): Promise<TypedResponse<never>> {
  const headers = new Headers(init.headers);
  headers.append(
    "Set-Cookie",
    await flashHeader(context, typeof flash === "string" ? { kind: "success", message: flash } : flash),
  );
  return redirect(url, { status: 303, headers });
}

/** The waiting message, if any, and the header that clears it (so it is shown once). */
export async function readFlash(
  request: Request,
  context: AppLoadContext,
): Promise<{ flash: Flash | null; headers?: HeadersInit }> {
  const cookie = flashCookie(context);
  const header = request.headers.get("cookie");
  if (!header?.includes("portal_flash=")) return { flash: null };
  const value: unknown = await cookie.parse(header).catch(() => null);
  const clear = { "Set-Cookie": await cookie.serialize("", { maxAge: 0 }) };
  return { flash: isFlash(value) ? value : null, headers: clear };
}

/** A 303 back to the page the form was posted from (its path and query), showing `message` once. */
export function redirectBackWithFlash(request: Request, context: AppLoadContext, flash: Flash | string) {
  const url = new URL(request.url);
  return redirectWithFlash(context, `${url.pathname}${url.search}`, flash);
}
