import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** 預約管理作業 export: the whole filtered, scoped list, streamed (audited by the BFF). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.scheduled.exportList(actor, {
      q: sp.get("q"),
      type: sp.get("type"),
      state: sp.get("state"),
      from: sp.get("from"),
      to: sp.get("to"),
    }),
  );
  return new Response(stream, { headers });
}
