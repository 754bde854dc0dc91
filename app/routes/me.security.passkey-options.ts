import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { isDomainError } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** ADR 0034: options to register a passkey for the signed-in user (我的 › 登入安全設定). */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  try {
    const options = await context.services.auth.passkeys.registrationOptions(actor);
    return json({ options }, { headers: { "Cache-Control": "no-store" } });
  } catch (e) {
    if (isDomainError(e)) return json({ message: e.message }, { status: 409 });
    throw e;
  }
}
