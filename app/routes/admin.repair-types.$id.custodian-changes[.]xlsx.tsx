import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** 保管人異動紀錄 of a repair type: the whole filtered log, streamed. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.repairs.exportChangeLog(actor, params.id, { from: sp.get("from"), to: sp.get("to") }),
  );
  return new Response(stream, { headers });
}
