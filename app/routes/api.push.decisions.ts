import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";

/**
 * BKG-5: the service worker posts 核准/駁回 from a notification here. No cookie and no
 * Origin: the single-use token in the body is the only authority (bff/push/decisions.ts).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  if (request.method !== "POST")
    return json({ ok: false, title: "無法完成審核", body: "不支援的方法。", url: "/reviews" }, 405);
  let input: Record<string, unknown> = {};
  try {
    const body: unknown = (request.headers.get("content-type") ?? "").includes("application/json")
      ? await request.json()
      : Object.fromEntries(await request.formData());
    if (typeof body === "object" && body !== null) input = body as Record<string, unknown>;
  } catch {
    input = {};
  }
  const result = await context.services.pushDecisions({
    token: input.token,
    decision: input.decision,
    targetId: input.targetId,
  });
  return json(result, { status: result.ok ? 200 : 409, headers: { "Cache-Control": "no-store" } });
}

export const loader = () => json({ ok: false, title: "無法完成審核", body: "請由通知操作。", url: "/reviews" }, 405);
