import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { Pager } from "~/components/items";
import { redirectBackWithFlash } from "~/utils/flash.server";
import consoleStyles from "~/styles/console.css";
import { formFailure, formValues, isDomainError, load, readForm } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: consoleStyles }];
export const meta: MetaFunction = () => [{ title: "背景作業 | 臺南市政府公務入口網" }];

/**
 * 背景作業 (issue 15 item 3): jobs that stopped retrying (after 24 h of an outage, or a
 * failure retrying cannot fix), for system admins only; anyone else gets 404 from the service.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const page = new URL(request.url).searchParams.get("page");
  const list = await load(() => context.services.jobsAdmin.listDead(actor, { page }));
  return json({ list });
}

/**
 * 重試 / 捨棄 one dead job; each writes an audit row and redirects back (same page) with a
 * flash. Odd input: a zh-TW message, never a 500.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "id"]);
  const { jobsAdmin } = context.services;
  const back = (message: string) => redirectBackWithFlash(request, context, message);
  try {
    if (values.intent === "retry") {
      const { kindLabel } = await jobsAdmin.retry(actor, values.id);
      return back(`已重新排入這筆${kindLabel}，將立即再試一次。`);
    }
    if (values.intent === "discard") {
      const { kindLabel } = await jobsAdmin.discard(actor, values.id);
      return back(`已捨棄這筆${kindLabel}，不會再寄送。`);
    }
    // A page-scope check first, so someone else learns nothing from an odd intent either.
    await jobsAdmin.deadCount(actor);
    return json({ ok: false as const, message: "不支援的操作。" }, { status: 400 });
  } catch (e) {
    // For the admin, a job someone else already handled is a message on the page; for
    // anyone else the page does not exist (formFailure's 404).
    if (actor.role === "sys_admin" && isDomainError(e) && e.code === "not_found") {
      return json({ ok: false as const, message: e.message }, { status: 404 });
    }
    return formFailure(e, values);
  }
}

export default function BackgroundJobs() {
  const { list } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        系統參數管理 › <span aria-current="page">背景作業</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">背景作業</h1>
      </div>
      {result ? (
        <div className="alert alert-error" role="alert">
          {result.message}
        </div>
      ) : null}
      <section className="card" aria-labelledby="jobs-dead">
        <h2 id="jobs-dead">停止重試的作業</h2>
        <p className="muted">
          郵件、簡訊、推播與 AD 同步在外部服務中斷時會自動重試至少 24
          小時；仍未成功的才列在這裡。確認服務恢復後按「重試」，不需要寄送的按「捨棄」。已過期的驗證碼不會重送，請使用者重新申請。
        </p>
        {list.byKind.length > 0 ? (
          <p role="status">
            共 {list.total} 筆：{list.byKind.map((k) => `${k.label} ${k.n} 筆`).join("、")}
          </p>
        ) : null}
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">停止重試的背景作業</caption>
            <thead>
              <tr>
                <th scope="col">種類</th>
                <th scope="col">對象</th>
                <th scope="col">嘗試次數</th>
                <th scope="col">最後錯誤</th>
                <th scope="col">建立時間</th>
                <th scope="col">停止時間</th>
                <th scope="col">
                  <span className="visually-hidden">操作</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.rows.length === 0 ? (
                <EmptyRow colSpan={7}>目前沒有停止重試的背景作業</EmptyRow>
              ) : (
                list.rows.map((r) => (
                  <tr key={r.id}>
                    <td data-label="種類">{r.kindLabel}</td>
                    <td data-label="對象">{r.target}</td>
                    <td data-label="嘗試次數">{r.attempts}</td>
                    <td data-label="最後錯誤" className="wrap">
                      {r.lastError}
                    </td>
                    <td data-label="建立時間">{formatDateTime(r.createdAt)}</td>
                    <td data-label="停止時間">{formatDateTime(r.diedAt) || "—"}</td>
                    <td>
                      <Form method="post" className="actions">
                        <input type="hidden" name="id" value={r.id} />
                        <button
                          type="submit"
                          name="intent"
                          value="retry"
                          className="btn btn-small btn-primary"
                          disabled={busy}
                          aria-label={`重試：${r.kindLabel} ${r.target}`}
                        >
                          重試
                        </button>
                        <button
                          type="submit"
                          name="intent"
                          value="discard"
                          className="btn btn-small btn-danger"
                          disabled={busy}
                          aria-label={`捨棄：${r.kindLabel} ${r.target}`}
                        >
                          捨棄
                        </button>
                      </Form>
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
