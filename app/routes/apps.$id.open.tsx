import type { LoaderFunctionArgs } from "@remix-run/node";
import { redirect } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/**
 * IDN-8 轉登: opens an app-list entry. A registered system gets its initiate-login URI
 * (with iss and login_hint); it sends the user to /oidc/auth, where the portal session
 * signs them in with no prompt. A plain link is just followed.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const to = await load(() => context.services.appList.launchUrl(actor, params.id));
  return redirect(to, { headers: { "Cache-Control": "no-store" } });
}
