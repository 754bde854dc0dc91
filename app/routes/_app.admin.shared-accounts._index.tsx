import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { Pager } from "~/components/items";
import { RadioFilter, reviewLabels, sharedTypeLabels } from "~/components/shared-accounts";
import consoleStyles from "~/styles/console.css";
import { load } from "~/utils/errors.server";
import { label, loginPermissionLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: consoleStyles }];
export const meta: MetaFunction = () => [{ title: "機關及郵件系統帳號管理 | 臺南市政府公務入口網" }];

/** ACC-14 admin list: keyword, type, status, login permission; scoped by the BFF (others 404). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const list = await load(() =>
    context.services.sharedAccounts.list(actor, {
      q: sp.get("q"),
      type: sp.get("type"),
      status: sp.get("status"),
      permission: sp.get("permission"),
      page: sp.get("page"),
    }),
  );
  return json({ list, isSysAdmin: actor.role === "sys_admin" });
}

export default function SharedAccountList() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const f = list.filter;
  const exportQuery = new URLSearchParams({ q: f.q, type: f.type, status: f.status, permission: f.permission });
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        帳號管理 › <span aria-current="page">機關及郵件系統帳號管理</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">機關及郵件系統帳號管理</h1>
        <div className="actions">
          <Link to="/admin/shared-account-reviews" className="btn">
            機關及郵件系統帳號審核
          </Link>
          <a className="btn" href={`/admin/shared-accounts.xlsx?${exportQuery.toString()}`} download>
            匯出
          </a>
        </div>
      </div>
      <section className="card">
        <form method="get" className="filters" role="search" aria-label="帳號查詢">
          <label htmlFor="q" className="visually-hidden">
            關鍵字
          </label>
          <input
            id="q"
            name="q"
            type="search"
            defaultValue={f.q}
            maxLength={50}
            placeholder="帳號、名稱、用途或保管人"
          />
          <button type="submit" className="btn btn-small btn-primary">
            查詢
          </button>
          <Link to="?" className="btn btn-small">
            消除條件
          </Link>
          <details className="disclosure" open={Boolean(f.type || f.status || f.permission)}>
            <summary className="btn btn-small">進階查詢</summary>
            <RadioFilter legend="類型" name="type" value={f.type} options={Object.entries(sharedTypeLabels)} />
            <RadioFilter legend="帳號狀態" name="status" value={f.status} options={Object.entries(statusLabels)} />
            <RadioFilter
              legend="帳號登入許可狀態"
              name="permission"
              value={f.permission}
              options={Object.entries(loginPermissionLabels)}
            />
          </details>
        </form>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">機關及郵件系統帳號</caption>
            <thead>
              <tr>
                <th scope="col">類型</th>
                <th scope="col">帳號</th>
                <th scope="col">帳號名稱</th>
                {isSysAdmin ? <th scope="col">隸屬機關</th> : null}
                <th scope="col">保管人</th>
                <th scope="col">帳號狀態</th>
                <th scope="col">帳號登入許可狀態</th>
                <th scope="col">審核狀態</th>
                <th scope="col">動作</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.length === 0 ? (
                <EmptyRow colSpan={isSysAdmin ? 9 : 8} />
              ) : (
                list.rows.map((r) => (
                  <tr key={r.id}>
                    <td data-label="類型">{label(sharedTypeLabels, r.type)}</td>
                    <td data-label="帳號">{r.username}</td>
                    <td data-label="帳號名稱">{r.name}</td>
                    {isSysAdmin ? <td data-label="隸屬機關">{r.agencyName}</td> : null}
                    <td data-label="保管人">{r.custodianName}</td>
                    <td data-label="帳號狀態">{label(statusLabels, r.status)}</td>
                    <td data-label="帳號登入許可狀態">{label(loginPermissionLabels, r.login_permission)}</td>
                    <td data-label="審核狀態">{label(reviewLabels, r.review_status)}</td>
                    <td>
                      <Link
                        to={`/admin/shared-accounts/${r.id}`}
                        className="btn btn-small"
                        aria-label={`詳細：${r.username}`}
                      >
                        詳細
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
