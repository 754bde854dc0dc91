import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { kindByPath } from "~/utils/items";
import { requireActor } from "~/utils/session.server";

/** 保管人異動紀錄 / 管理人異動紀錄 export: the whole filtered log, streamed. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const kind = kindByPath(params.kind);
  if (!kind) throw new Response("找不到資料", { status: 404 });
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.items.exportChangeLog(actor, kind, params.id, { from: sp.get("from"), to: sp.get("to") }),
  );
  return new Response(stream, { headers });
}
