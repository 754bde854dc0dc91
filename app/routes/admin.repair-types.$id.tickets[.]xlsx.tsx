import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** RPR-4 export: the period's tickets of a repair type, streamed. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.repairs.exportTickets(actor, params.id, { from: sp.get("from"), to: sp.get("to") }),
  );
  return new Response(stream, { headers });
}
