import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { Pager } from "~/components/items";
import { RadioFilter } from "~/components/shared-accounts";
import { FormMessage } from "~/components/forms";
import consoleStyles from "~/styles/console.css";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: consoleStyles }];
export const meta: MetaFunction = () => [{ title: "預約管理作業 | 臺南市政府公務入口網" }];

/** ACC-16 預約管理作業: admins only (others 404); the BFF scopes by agency and pages in SQL. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const list = await load(() =>
    context.services.scheduled.list(actor, {
      q: sp.get("q"),
      type: sp.get("type"),
      state: sp.get("state"),
      from: sp.get("from"),
      to: sp.get("to"),
      page: sp.get("page"),
    }),
  );
  return json({ list, isSysAdmin: actor.role === "sys_admin" });
}

/** 取消預約: only a pending one; another agency's id is a 404. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "id"]);
  try {
    if (values.intent !== "cancel") throw new Response("不支援的操作", { status: 400 });
    await context.services.scheduled.cancel(actor, values.id);
    return redirectBackWithFlash(request, context, "已取消預約");
  } catch (e) {
    if (e instanceof Response) throw e;
    return formFailure(e, values);
  }
}

export default function ScheduledChanges() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const f = list.filter;
  const exportQuery = new URLSearchParams({ q: f.q, type: f.type, state: f.state, from: f.from, to: f.to });
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        帳號管理 › <span aria-current="page">預約管理作業</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">預約管理作業</h1>
        <a className="btn" href={`/admin/scheduled.xlsx?${exportQuery.toString()}`} download>
          匯出
        </a>
      </div>
      <FormMessage id="scheduled-error" message={result?.message} />
      {list.notices.length > 0 ? (
        <div className="alert alert-error" role="alert">
          {list.notices.join(" ")}
        </div>
      ) : null}
      <section className="card">
        <form method="get" className="filters" role="search" aria-label="預約查詢">
          <label htmlFor="q" className="visually-hidden">
            關鍵字
          </label>
          <input id="q" name="q" type="search" defaultValue={f.q} maxLength={50} placeholder="帳號或姓名" />
          <fieldset className="filter-range">
            <legend>預約執行時間</legend>
            <label htmlFor="from" className="visually-hidden">
              起日
            </label>
            <input id="from" name="from" type="date" defaultValue={f.from} />
            <span aria-hidden="true">～</span>
            <label htmlFor="to" className="visually-hidden">
              迄日
            </label>
            <input id="to" name="to" type="date" defaultValue={f.to} />
          </fieldset>
          <button type="submit" className="btn btn-small btn-primary">
            查詢
          </button>
          <Link to="?" className="btn btn-small">
            消除條件
          </Link>
          <details className="disclosure" open={Boolean(f.type || f.state)}>
            <summary className="btn btn-small">進階查詢</summary>
            <RadioFilter
              legend="預約類型"
              name="type"
              value={f.type}
              options={list.types.map((t) => [t.value, t.label])}
            />
            <RadioFilter
              legend="狀態"
              name="state"
              value={f.state}
              options={list.states.map((s) => [s.value, s.label])}
            />
          </details>
        </form>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">預約案件</caption>
            <thead>
              <tr>
                <th scope="col">預約類型</th>
                <th scope="col">帳號</th>
                <th scope="col">姓名</th>
                {isSysAdmin ? <th scope="col">隸屬機關</th> : null}
                <th scope="col">預約執行時間</th>
                <th scope="col">狀態</th>
                <th scope="col">執行結果</th>
                <th scope="col">預約人</th>
                <th scope="col">動作</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.length === 0 ? (
                <EmptyRow colSpan={isSysAdmin ? 9 : 8} />
              ) : (
                list.rows.map((r) => (
                  <tr key={r.id}>
                    <td data-label="預約類型">{r.typeLabel}</td>
                    <td data-label="帳號">{r.targetUsername}</td>
                    <td data-label="姓名">{r.targetName}</td>
                    {isSysAdmin ? <td data-label="隸屬機關">{r.agencyName}</td> : null}
                    <td data-label="預約執行時間">{formatDateTime(r.execute_at)}</td>
                    <td data-label="狀態">{r.stateLabel}</td>
                    <td data-label="執行結果">{r.result ?? ""}</td>
                    <td data-label="預約人">{r.createdByName ?? ""}</td>
                    <td>
                      {r.state === "pending" ? (
                        <Form method="post">
                          <input type="hidden" name="intent" value="cancel" />
                          <input type="hidden" name="id" value={r.id} />
                          <button
                            type="submit"
                            className="btn btn-small btn-danger"
                            disabled={busy}
                            aria-label={`取消預約：${r.typeLabel} ${r.targetName}`}
                          >
                            取消預約
                          </button>
                        </Form>
                      ) : null}
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
