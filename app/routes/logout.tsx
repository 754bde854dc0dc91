import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { destroySession, requestMeta, sessionToken } from "~/utils/session.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const token = await sessionToken(request, context);
  // One sign-out (ADR 0023): the single sign-on session in this browser ends with the portal's,
  // and systems that asked for it hear of it by back-channel logout (failures only logged).
  await context.services.oidc.endBrowserSession(context.http.req, context.http.res);
  if (token) await context.services.auth.signOut(token, requestMeta(request, context));
  const headers = new Headers();
  for (const c of await destroySession(context)) headers.append("Set-Cookie", c);
  return redirect("/login", { headers });
}

export const loader = () => redirect("/");
