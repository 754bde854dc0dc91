import type { ActionFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { requestMeta } from "~/utils/session.server";

/**
 * IDN-7 帳號驗證機制: POST JSON {username, password} with a client-credentials bearer
 * token (scope `verify`). No cookie and no Origin: the token is the authority.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const headers = { "Cache-Control": "no-store" };
  if (request.method !== "POST") {
    return json({ error: "invalid_request", error_description: "請使用 POST" }, { status: 405, headers });
  }
  let body: unknown;
  try {
    body = (request.headers.get("content-type") ?? "").includes("application/json") ? await request.json() : undefined;
  } catch {
    body = undefined;
  }
  const answer = await context.services.verifyAccount(
    request.headers.get("authorization"),
    body,
    requestMeta(request, context),
  );
  return json(answer.body, { status: answer.status, headers: { ...headers, ...answer.headers } });
}

export const loader = () =>
  json({ error: "invalid_request", error_description: "請使用 POST" }, { status: 405, headers: { Allow: "POST" } });
