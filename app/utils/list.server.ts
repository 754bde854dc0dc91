import type { AppLoadContext, LoaderFunctionArgs } from "@remix-run/node";
import type { Actor } from "../../bff/actor.js";
import { load } from "./errors.server";
import { requireActor } from "./session.server";

/** A list's query: each filter the page reads, `page` and `size`, as the URL has them (null when absent). */
export type ListQuery<K extends string> = Record<K | "page" | "size", string | null>;

/** The filters and page of a list from the query string; the BFF checks and bounds them. */
export function listQuery<K extends string>(request: Request, keys: readonly K[]): ListQuery<K> {
  const sp = new URL(request.url).searchParams;
  const query = { page: sp.get("page"), size: sp.get("size") } as ListQuery<K>;
  for (const k of keys) query[k] = sp.get(k);
  return query;
}

/**
 * The loader of a console list page: who asks, the list's query from the URL, and the page of
 * rows the BFF answers (paging, total and scope are the BFF's; out of scope is a 404).
 * `isSysAdmin` tells the page whether to show the 隸屬機關 column.
 */
export async function loadList<K extends string, L>(
  { request, context }: LoaderFunctionArgs,
  keys: readonly K[],
  read: (a: { actor: Actor; services: AppLoadContext["services"]; query: ListQuery<K> }) => Promise<L>,
) {
  const actor = await requireActor(request, context);
  const query = listQuery(request, keys);
  const list = await load(() => read({ actor, services: context.services, query }));
  return { list, isSysAdmin: actor.role === "sys_admin" };
}
