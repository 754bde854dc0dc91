import { type AppLoadContext, createCookie } from "@remix-run/node";

/**
 * The browser's half of a two-step sign-in (IDN-2): a random token naming a challenge the
 * database keeps. httpOnly, and worth nothing without the server-side row, which expires.
 */
// Outlives the server's challenge (5 minutes) a little; the server's expiry is the one that counts.
const options = { httpOnly: true, sameSite: "lax" as const, path: "/", maxAge: 10 * 60 };
const cookies = {
  secure: createCookie("portal_signin", { ...options, secure: true }),
  plain: createCookie("portal_signin", { ...options, secure: false }),
};
const cookieFor = (context: AppLoadContext) => (context.secureCookies ? cookies.secure : cookies.plain);

export async function challengeToken(request: Request, context: AppLoadContext): Promise<string | undefined> {
  const value: unknown = await cookieFor(context).parse(request.headers.get("cookie"));
  return typeof value === "string" ? value : undefined;
}

export function commitChallenge(context: AppLoadContext, token: string): Promise<string> {
  return cookieFor(context).serialize(token);
}

export function clearChallenge(context: AppLoadContext): Promise<string> {
  return cookieFor(context).serialize("", { maxAge: 0 });
}
