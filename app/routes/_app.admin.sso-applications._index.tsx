import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { StatusTag } from "~/components/sso";
import consoleStyles from "~/styles/console.css";
import ssoStyles from "~/styles/sso.css";
import { load } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: ssoStyles },
];
export const meta: MetaFunction = () => [{ title: "介接申請審核 | 臺南市政府公務入口網" }];

const TABS = [
  { status: "pending", label: "待審核" },
  { status: "approved", label: "已通過" },
  { status: "rejected", label: "已駁回" },
  { status: "", label: "全部" },
];

/** IDN-6: the system admin's list of integration applications (others: 404). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const status = sp.get("status") ?? "pending";
  const list = await load(() => context.services.ssoApplications.adminList(actor, { status }));
  return json({ list, status });
}

export default function SsoApplications() {
  const { list, status } = useLoaderData<typeof loader>();
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/apps">應用程式列表</Link> › <span aria-current="page">介接申請審核</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">應用系統服務介接申請審核</h1>
        <Link to="/admin/sso-clients" className="btn">
          用戶端管理
        </Link>
      </div>
      <nav className="tabs" aria-label="申請狀態">
        {TABS.map((t) => (
          <Link
            key={t.status}
            to={`?status=${t.status}`}
            className={`tab${t.status === status ? " tab-current" : ""}`}
            aria-current={t.status === status ? "page" : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <section className="card">
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">介接申請</caption>
            <thead>
              <tr>
                <th scope="col">申請時間</th>
                <th scope="col">系統名稱</th>
                <th scope="col">權責機關</th>
                <th scope="col">申請人</th>
                <th scope="col">狀態</th>
                <th scope="col">
                  <span className="visually-hidden">操作</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.length === 0 ? (
                <EmptyRow colSpan={6} />
              ) : (
                list.map((a) => (
                  <tr key={a.id}>
                    <td>{formatDateTime(a.created_at)}</td>
                    <td>{a.system_name}</td>
                    <td>{a.agency}</td>
                    <td>{a.applicant}</td>
                    <td>
                      <StatusTag status={a.status} />
                    </td>
                    <td>
                      <Link
                        to={`/admin/sso-applications/${a.id}`}
                        className="btn btn-small"
                        aria-label={`${a.status === "pending" ? "審核" : "檢視"} ${a.system_name}`}
                      >
                        {a.status === "pending" ? "審核" : "檢視"}
                      </Link>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
