import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** ACC-12 帳號登入紀錄 export with the page's filters, audited by the BFF. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.accounts.exportRecords(actor, params.id, {
      from: sp.get("from"),
      to: sp.get("to"),
      method: sp.get("method"),
      action: sp.get("action"),
      result: sp.get("result"),
    }),
  );
  return new Response(stream, { headers });
}
