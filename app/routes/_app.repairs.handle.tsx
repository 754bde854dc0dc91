import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { repairLinks, TicketCard } from "~/components/repairs";
import { requireActor } from "~/utils/session.server";

export const links = repairLinks;
export const meta: MetaFunction = () => [{ title: "報修處理狀況回報 | 臺南市政府公務入口網" }];

const tabs = [
  { id: "pending", label: "待處理" },
  { id: "processed", label: "已處理" },
  { id: "returned", label: "已退回" },
  { id: "all", label: "全部" },
] as const;

/** RPR-3 for vendor staff: the tickets of the types they handle; others get 404. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  if (!(await repairs.isVendor(actor))) throw new Response("找不到資料", { status: 404 });
  const sp = new URL(request.url).searchParams;
  const list = await repairs.queue(actor, { status: sp.get("status") });
  return json(list);
}

export default function HandleRepairs() {
  const { status, rows } = useLoaderData<typeof loader>();
  return (
    <div>
      <p className="back-link">
        <Link to="/repairs">‹ 返回報修</Link>
      </p>
      <h1 className="page-title">報修處理狀況回報</h1>
      <nav className="seg-tabs" aria-label="處理狀況">
        {tabs.map((t) => (
          <Link key={t.id} to={`?status=${t.id}`} aria-current={status === t.id ? "page" : undefined}>
            {t.label}
          </Link>
        ))}
      </nav>
      {rows.length === 0 ? (
        <p className="card empty">目前沒有資料</p>
      ) : (
        <ul className="booking-list">
          {rows.map((t) => (
            <TicketCard key={t.id} ticket={t} heading="h2" reporter={`${t.reporterName}（${t.unitName}）`} />
          ))}
        </ul>
      )}
    </div>
  );
}
