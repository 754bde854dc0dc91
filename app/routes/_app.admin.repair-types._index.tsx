import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { Pager } from "~/components/items";
import consoleStyles from "~/styles/console.css";
import repairStyles from "~/styles/repairs.css";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: repairStyles },
];
export const meta: MetaFunction = () => [{ title: "報修類型管理 | 臺南市政府公務入口網" }];

const scopeText: Record<string, string> = { all: "全府", own: "僅限機關同仁", listed: "機關同仁及其他機關" };

/** 報修類型管理: for admins and custodians of a type (others: 404); search by type. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  const access = await repairs.consoleAccess(actor);
  if (!access.manage) throw new Response("找不到資料", { status: 404 });
  const sp = new URL(request.url).searchParams;
  const list = await repairs.types(actor, { q: sp.get("q"), page: sp.get("page") });
  return json({ list, canCreate: access.create });
}

export default function RepairTypes() {
  const { list, canCreate } = useLoaderData<typeof loader>();
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin">管理主控台</Link> › <span aria-current="page">報修類型管理</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">報修類型管理</h1>
        {canCreate ? (
          <Link to="/admin/repair-types/new" className="btn btn-primary">
            新增報修類型
          </Link>
        ) : null}
      </div>
      <section className="card">
        <form method="get" className="filters" role="search">
          <label htmlFor="q" className="visually-hidden">
            報修類型
          </label>
          <input id="q" name="q" type="search" defaultValue={list.q} placeholder="以報修類型查詢" maxLength={50} />
          <button type="submit" className="btn btn-small btn-primary">
            查詢
          </button>
          <Link to="?" className="btn btn-small">
            消除條件
          </Link>
        </form>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">報修類型</caption>
            <thead>
              <tr>
                <th scope="col">報修類型</th>
                <th scope="col">管理機關</th>
                <th scope="col">允許報修機關</th>
                <th scope="col">報修廠商</th>
                <th scope="col">保管人</th>
                <th scope="col">待處理</th>
                <th scope="col">
                  <span className="visually-hidden">操作</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.rows.length === 0 ? (
                <EmptyRow colSpan={7} />
              ) : (
                list.rows.map((r) => (
                  <tr key={r.id}>
                    <td data-label="報修類型">{r.name}</td>
                    <td data-label="管理機關">{r.agencyName}</td>
                    <td data-label="允許報修機關">{scopeText[r.report_scope]}</td>
                    <td data-label="報修廠商">{r.vendor_name ?? ""}</td>
                    <td data-label="保管人">{r.custodianNames ?? ""}</td>
                    <td data-label="待處理">{r.pending}</td>
                    <td>
                      <Link to={`/admin/repair-types/${r.id}`} className="btn btn-small" aria-label={`編輯 ${r.name}`}>
                        編輯
                      </Link>
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <Pager total={list.total} page={list.page} pageSize={list.pageSize} />
      </section>
    </div>
  );
}
