import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { RepairStatus } from "~/components/repairs";
import bookingStyles from "~/styles/booking.css";
import repairStyles from "~/styles/repairs.css";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: bookingStyles },
  { rel: "stylesheet", href: repairStyles },
];
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
            <li key={t.id} className="card booking-card ticket-card">
              <div className="booking-head">
                <h2>
                  <Link to={`/repairs/${t.id}`}>{t.typeName}</Link>
                </h2>
                <RepairStatus status={t.status} />
              </div>
              <p className="ticket-desc">{t.description}</p>
              <dl className="facts facts-compact">
                <dt>報修人員</dt>
                <dd>
                  {t.reporterName}（{t.unitName}）
                </dd>
                <dt>所在地點</dt>
                <dd>
                  {t.siteName} {t.floor}
                </dd>
                <dt>報修日期</dt>
                <dd>{formatDateTime(t.created_at)}</dd>
                {t.return_count > 0 ? (
                  <>
                    <dt>退回次數</dt>
                    <dd>{t.return_count}</dd>
                  </>
                ) : null}
              </dl>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
