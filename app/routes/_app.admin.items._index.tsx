import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { consoleLinks } from "~/components/list-page";
import { kinds } from "~/utils/items";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "物品管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;

/** 物品管理: for admins, and for anyone who holds an item (manual 表 2); others get 404. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const access = await context.services.items.consoleAccess(actor);
  if (!access.manage) throw new Response("找不到資料", { status: 404 });
  return json({ canCreate: access.create });
}

export default function ItemsHome() {
  const { canCreate } = useLoaderData<typeof loader>();
  return (
    <div className="console">
      <h1 className="page-title">物品管理</h1>
      <ul className="console-links">
        {Object.values(kinds).map((k) => (
          <li key={k.kind}>
            <Link to={`/admin/items/${k.path}`} className="console-link">
              <span className="console-link-title">{k.listTitle}</span>
              <span className="muted">
                {canCreate
                  ? `查看、編輯本機關的${k.label}，或${k.newLabel}`
                  : `查看與編輯您擔任${k.holder}的${k.label}`}
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
