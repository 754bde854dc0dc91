import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** Custodian candidates: enabled people of an agency I may create for, or of an item I manage. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const people = await load(() =>
    context.services.items.people(actor, { agencyId: sp.get("agencyId"), itemId: sp.get("itemId"), q: sp.get("q") }),
  );
  return json({ people }, { headers: { "Cache-Control": "private, no-store" } });
}
