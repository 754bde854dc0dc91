import type { LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** 維修人員 search: at least 2 characters of a name; for those who manage repair types. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const q = new URL(request.url).searchParams.get("q");
  const people = await load(() => context.services.repairs.vendorSearch(actor, q));
  return json({ people }, { headers: { "Cache-Control": "private, no-store" } });
}
