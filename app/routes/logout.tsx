import type { ActionFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { destroySession, requestMeta, sessionToken } from "~/utils/session.server";

export async function action({ request, context }: ActionFunctionArgs) {
  const token = await sessionToken(request, context);
  if (token) await context.services.auth.signOut(token, requestMeta(request, context));
  return redirect("/login", { headers: { "Set-Cookie": await destroySession(context) } });
}

export const loader = () => redirect("/");
