import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** ACC-13 匯出: the whole filtered queue, streamed; the export is audited in the BFF. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const input = Object.fromEntries(["type", "q", "from", "to", "result"].map((k) => [k, sp.get(k) ?? ""]));
  const { stream, headers } = await load(() => context.services.applications.review.exportXlsx(actor, input));
  return new Response(stream, { headers });
}
