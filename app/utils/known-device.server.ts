import { type AppLoadContext, createCookie } from "@remix-run/node";
import { requestMeta } from "./session.server";

type Kind = "account" | "shared";

/**
 * The known-device cookie (ADR 0025): it names the account a browser signed in to, signed
 * by the BFF; this module only carries it. `__Host-` in production (HTTPS only, this host
 * only, path /); long-lived, renewed at every sign-in.
 */
function deviceCookie(context: AppLoadContext, kind: Kind) {
  const base = kind === "account" ? "portal_device" : "portal_shared_device";
  return context.secureCookies
    ? createCookie(`__Host-${base}`, { httpOnly: true, sameSite: "lax", path: "/", secure: true })
    : createCookie(base, { httpOnly: true, sameSite: "lax", path: "/", secure: false });
}

/** The request's address and agent, plus the known-device cookie for the BFF to check. */
export async function signInMeta(request: Request, context: AppLoadContext, kind: Kind = "account") {
  const value: unknown = await deviceCookie(context, kind).parse(request.headers.get("cookie"));
  return { ...requestMeta(request, context), device: typeof value === "string" ? value : undefined };
}

/** Adds the Set-Cookie that makes (or keeps) this browser a known device. */
export async function appendDeviceCookie(
  headers: Headers,
  context: AppLoadContext,
  device: { value: string; expiresAt: Date } | undefined,
  kind: Kind = "account",
) {
  if (device)
    headers.append(
      "Set-Cookie",
      await deviceCookie(context, kind).serialize(device.value, { expires: device.expiresAt }),
    );
}
