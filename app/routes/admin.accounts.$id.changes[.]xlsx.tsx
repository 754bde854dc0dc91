import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** ACC-12 個人資料 / 隸屬機關(單位) / 帳號狀態 異動紀錄 export (kind=data|unit|status), audited by the BFF. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.accounts.exportChanges(actor, params.id, sp.get("kind"), {
      from: sp.get("from"),
      to: sp.get("to"),
    }),
  );
  return new Response(stream, { headers });
}
