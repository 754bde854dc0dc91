import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import consoleStyles from "~/styles/console.css";
import ssoStyles from "~/styles/sso.css";
import { load } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: ssoStyles },
];
export const meta: MetaFunction = () => [{ title: "單一登入用戶端管理 | 臺南市政府公務入口網" }];

/** IDN-6: registered systems, for system admins (others: 404). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({ clients: await load(() => context.services.ssoClients.list(actor)) });
}

export default function SsoClients() {
  const { clients } = useLoaderData<typeof loader>();
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/apps">應用程式列表</Link> › <span aria-current="page">用戶端管理</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">單一登入用戶端管理</h1>
        <Link to="/admin/sso-applications" className="btn">
          介接申請審核
        </Link>
      </div>
      <section className="card">
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">用戶端</caption>
            <thead>
              <tr>
                <th scope="col">系統名稱</th>
                <th scope="col">用戶端識別碼</th>
                <th scope="col">權責機關</th>
                <th scope="col">狀態</th>
                <th scope="col">最近登入</th>
                <th scope="col">
                  <span className="visually-hidden">操作</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {clients.length === 0 ? (
                <EmptyRow colSpan={6} />
              ) : (
                clients.map((c) => (
                  <tr key={c.client_id}>
                    <td>{c.name}</td>
                    <td>
                      <code>{c.client_id}</code>
                    </td>
                    <td>{c.agency ?? "—"}</td>
                    <td>{c.enabled ? "啟用" : "停用"}</td>
                    <td>{c.last_sign_in ? formatDateTime(c.last_sign_in) : "—"}</td>
                    <td>
                      <Link
                        to={`/admin/sso-clients/${c.client_id}`}
                        className="btn btn-small"
                        aria-label={`管理 ${c.name}`}
                      >
                        管理
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
