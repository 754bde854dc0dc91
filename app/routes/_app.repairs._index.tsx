import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { repairLinks, TicketCard } from "~/components/repairs";
import { requireActor } from "~/utils/session.server";

export const links = repairLinks;
export const meta: MetaFunction = () => [{ title: "報修 | 臺南市政府公務入口網" }];

/** 報修: my tickets with their status, 我要報修, and the ways in for vendor staff and custodians. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  const [tickets, isVendor, access] = await Promise.all([
    repairs.mine(actor),
    repairs.isVendor(actor),
    repairs.consoleAccess(actor),
  ]);
  return json({ tickets, isVendor, manage: access.manage });
}

export default function MyRepairs() {
  const { tickets, isVendor, manage } = useLoaderData<typeof loader>();
  return (
    <div>
      <div className="page-head">
        <h1 className="page-title">報修</h1>
        <Link to="/repairs/new" className="btn btn-primary btn-small">
          我要報修
        </Link>
      </div>
      {isVendor || manage ? (
        <p className="repair-actions">
          {isVendor ? (
            <Link to="/repairs/handle" className="btn btn-small">
              報修處理狀況回報
            </Link>
          ) : null}
          {manage ? (
            <Link to="/admin/repair-types" className="btn btn-small">
              報修類型管理
            </Link>
          ) : null}
        </p>
      ) : null}
      <h2 className="section-title">我的報修</h2>
      {tickets.length === 0 ? (
        <p className="card empty">目前沒有資料</p>
      ) : (
        <ul className="booking-list">
          {tickets.map((t) => (
            <TicketCard key={t.id} ticket={t} heading="h3">
              {t.status === "returned" ? (
                <p className="return-note">
                  退回原因：{t.return_reason}
                  {"\n"}
                  <Link to={`/repairs/${t.id}`}>修改後重新送出</Link>
                </p>
              ) : null}
            </TicketCard>
          ))}
        </ul>
      )}
    </div>
  );
}
