import { redirect } from "@remix-run/node";

/**
 * A console page that moved under /admin (ADR 20): the old URL answers 308 Permanent Redirect
 * to the same place under the new prefix, keeping the rest of the path and the query string
 * (308 also keeps a POST a POST, so an old form still reaches its action).
 */
export function movedUnder(request: Request, oldPrefix: string, newPrefix: string) {
  const url = new URL(request.url);
  const rest = url.pathname.startsWith(oldPrefix) ? url.pathname.slice(oldPrefix.length) : "";
  url.searchParams.delete("_data");
  const search = url.searchParams.toString();
  return redirect(`${newPrefix}${rest}${search ? `?${search}` : ""}`, 308);
}
