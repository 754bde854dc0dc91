import type { LoaderFunctionArgs } from "@remix-run/node";
import { load } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

/** 資料異動紀錄 (kind "data") or 帳號狀態異動紀錄 (kind "status") of one shared account. */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const kind = params.kind === "data" || params.kind === "status" ? params.kind : null;
  if (!kind) throw new Response("找不到資料", { status: 404 });
  const sp = new URL(request.url).searchParams;
  const { stream, headers } = await load(() =>
    context.services.sharedAccounts.exportChangeLog(actor, params.id, kind, { from: sp.get("from"), to: sp.get("to") }),
  );
  return new Response(stream, { headers });
}
