import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** ACC-10 匯出: the whole filtered account list, streamed (audited by the BFF). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.accounts.exportList(actor, {
      q: sp.get("q"),
      role: sp.get("role"),
      status: sp.get("status"),
      perm: sp.get("perm"),
    }),
  );
  return new Response(stream, { headers });
}
