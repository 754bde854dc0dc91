import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** 機關及郵件系統帳號管理 export: the whole filtered, scoped list, streamed (audited by the BFF). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.sharedAccounts.exportList(actor, {
      q: sp.get("q"),
      type: sp.get("type"),
      status: sp.get("status"),
      permission: sp.get("permission"),
    }),
  );
  return new Response(stream, { headers });
}
