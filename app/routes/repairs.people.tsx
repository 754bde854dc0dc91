import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** Custodian candidates of a repair type: people of its agency (or of an agency I may create for). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const people = await load(() =>
    context.services.repairs.people(actor, { agencyId: sp.get("agencyId"), typeId: sp.get("typeId"), q: sp.get("q") }),
  );
  return json({ people }, { headers: { "Cache-Control": "private, no-store" } });
}
