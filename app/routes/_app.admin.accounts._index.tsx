import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { DisableReasonFields, EffectiveTime, FixLinks } from "~/components/accounts-console";
import { EmptyRow } from "~/components/empty-row";
import { Pager } from "~/components/items";
import { RadioFilter } from "~/components/shared-accounts";
import consoleStyles from "~/styles/console.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label, loginPermissionLabels, roleLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: consoleStyles }];
export const meta: MetaFunction = () => [{ title: "個人公務帳號管理 | 臺南市政府公務入口網" }];

/** ACC-10 個人公務帳號管理: admins only (anyone else: 404), scoped by the BFF. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  if (actor.role === "user") throw new Response("找不到資料", { status: 404 });
  const sp = new URL(request.url).searchParams;
  const list = await context.services.accounts.list(actor, {
    q: sp.get("q"),
    role: sp.get("role"),
    status: sp.get("status"),
    perm: sp.get("perm"),
    page: sp.get("page"),
  });
  return json({ list, isSysAdmin: actor.role === "sys_admin" });
}

/** ACC-11 批次停用: done, the list comes back (same filters and page) with a flash. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["reason", "reasonText", "effective", "executeAt"]);
  const ids = form.getAll("ids").filter((v): v is string => typeof v === "string");
  try {
    const done = await context.services.accounts.batchDisable(actor, { ids, ...values });
    const back = new URL(request.url).searchParams;
    back.delete("index");
    return redirectWithFlash(
      context,
      back.size > 0 ? `/admin/accounts?${back.toString()}` : "/admin/accounts",
      done.scheduledAt
        ? `已預約於 ${formatDateTime(done.scheduledAt)} 停用 ${done.count} 個帳號`
        : `已停用 ${done.count} 個帳號`,
    );
  } catch (e) {
    return formFailure(e, { ...values, ids: ids.join(",") });
  }
}

const roleOptions = Object.entries(roleLabels);
const statusOptions = Object.entries(statusLabels);
const permOptions = Object.entries(loginPermissionLabels);

export default function AccountList() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>() ?? null;
  const busy = useNavigation().state === "submitting";
  const f = list.filter;
  const advanced = Boolean(f.role || f.status || f.perm);
  const selected = new Set((failed?.values.ids ?? "").split(",").filter(Boolean));
  const exportQuery = new URLSearchParams({ q: f.q, role: f.role, status: f.status, perm: f.perm });
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        帳號管理 › <span aria-current="page">個人公務帳號管理</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">個人公務帳號管理</h1>
        <a className="btn" href={`/admin/accounts.xlsx?${exportQuery.toString()}`} download>
          匯出
        </a>
      </div>
      {failed ? (
        <div className="alert alert-error" role="alert" id="batch-error">
          {failed.message}
          <FixLinks fields={failed.fields} />
        </div>
      ) : null}
      <section className="card">
        <form method="get" className="filters" role="search" aria-label="帳號查詢">
          <label htmlFor="q" className="visually-hidden">
            關鍵字
          </label>
          <input id="q" name="q" type="search" defaultValue={f.q} maxLength={50} placeholder="帳號、姓名、職稱或單位" />
          <button type="submit" className="btn btn-small btn-primary">
            查詢
          </button>
          <Link to="?" className="btn btn-small">
            消除條件
          </Link>
          <details className="disclosure" open={advanced}>
            <summary className="btn btn-small">進階查詢</summary>
            <RadioFilter legend="權限" name="role" value={f.role} options={roleOptions} />
            <RadioFilter legend="帳號狀態" name="status" value={f.status} options={statusOptions} />
            <RadioFilter legend="帳號登入許可狀態" name="perm" value={f.perm} options={permOptions} />
          </details>
        </form>
        <Form method="post" aria-label="批次停用">
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">個人公務帳號</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">勾選</span>
                  </th>
                  <th scope="col">權限</th>
                  <th scope="col">帳號</th>
                  <th scope="col">姓名</th>
                  <th scope="col">職稱</th>
                  <th scope="col">隸屬機關/單位</th>
                  <th scope="col">帳號狀態</th>
                  <th scope="col">帳號登入許可狀態</th>
                  <th scope="col">動作</th>
                </tr>
              </thead>
              <tbody>
                {list.rows.length === 0 ? (
                  <EmptyRow colSpan={9} />
                ) : (
                  list.rows.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <input
                          type="checkbox"
                          name="ids"
                          value={r.id}
                          defaultChecked={selected.has(String(r.id))}
                          aria-label={`勾選 ${r.name}（${r.username}）`}
                        />
                      </td>
                      <td data-label="權限">{label(roleLabels, r.role)}</td>
                      <td data-label="帳號">{r.username}</td>
                      <td data-label="姓名">{r.name}</td>
                      <td data-label="職稱">{r.title}</td>
                      <td data-label="隸屬機關/單位">
                        {isSysAdmin ? `${r.agencyName} / ` : ""}
                        {r.unitName}
                      </td>
                      <td data-label="帳號狀態">{label(statusLabels, r.status)}</td>
                      <td data-label="帳號登入許可狀態">{label(loginPermissionLabels, r.login_permission)}</td>
                      <td>
                        <Link to={`/admin/accounts/${r.id}`} className="btn btn-small" aria-label={`詳細：${r.name}`}>
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
          <details className="disclosure danger-zone" open={Boolean(failed)}>
            <summary className="btn btn-danger">批次停用</summary>
            <p className="field-hint">
              勾選的帳號須權限、帳號狀態、隸屬機關及公務郵件使用狀態相同，且沒有未審核的申請；無法同時停用不同機關的帳號。
            </p>
            <DisableReasonFields values={failed?.values ?? {}} errors={failed?.fields ?? {}} idPrefix="batch" />
            <EffectiveTime values={failed?.values ?? {}} errors={failed?.fields ?? {}} idPrefix="batch" />
            <button type="submit" className="btn btn-danger" disabled={busy}>
              儲存
            </button>
          </details>
        </Form>
      </section>
    </div>
  );
}
