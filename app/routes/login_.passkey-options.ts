import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { isDomainError } from "~/utils/errors.server";

/**
 * ADR 0034: options for a passkey sign-in (/login, single sign-on pages). A POST, so no cache
 * keeps them and the Origin check applies; each makes one single-use challenge.
 */
export async function action({ context }: ActionFunctionArgs) {
  try {
    const options = await context.services.auth.passkeys.loginOptions();
    return json({ options }, { headers: { "Cache-Control": "no-store" } });
  } catch (e) {
    if (isDomainError(e)) return json({ message: e.message }, { status: 409 });
    throw e;
  }
}
