import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { Pager } from "~/components/items";
import { RadioFilter, reviewLabels, sharedTypeLabels } from "~/components/shared-accounts";
import { FormMessage } from "~/components/forms";
import consoleStyles from "~/styles/console.css";
import { formFailure, load, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: consoleStyles }];
export const meta: MetaFunction = () => [{ title: "機關及郵件系統帳號審核 | 臺南市政府公務入口網" }];

/** ACC-15: search by type, keyword, review status (default 未審核); admins only, scoped by the BFF. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const list = await load(() =>
    context.services.sharedAccounts.reviews(actor, {
      q: sp.get("q"),
      type: sp.get("type"),
      review: sp.has("review") ? sp.get("review") : "pending",
      page: sp.get("page"),
    }),
  );
  return json({ list, isSysAdmin: actor.role === "sys_admin" });
}

/** 批次審核: 通過 or 駁回, effective at once; refused with the rule the selection breaks. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const ids = form.getAll("ids").filter((v): v is string => typeof v === "string");
  const decision = form.get("decision");
  const note = typeof form.get("note") === "string" ? (form.get("note") as string) : "";
  try {
    const done = await context.services.sharedAccounts.review(actor, { ids, decision, note });
    return redirectBackWithFlash(
      request,
      context,
      `已${decision === "approve" ? "通過" : "駁回"} ${done.count} 筆申請${decision === "approve" ? "，密碼已寄至保管人信箱" : ""}`,
    );
  } catch (e) {
    return formFailure(e, { ids: ids.join(","), note });
  }
}

export default function SharedAccountReviews() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const failed = result ?? null;
  const selected = new Set((failed?.values.ids ?? "").split(",").filter(Boolean));
  const f = list.filter;
  const exportQuery = new URLSearchParams({ q: f.q, type: f.type, review: f.review });
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        帳號管理 › <span aria-current="page">機關及郵件系統帳號審核</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">機關及郵件系統帳號審核</h1>
        <a className="btn" href={`/admin/shared-account-reviews.xlsx?${exportQuery.toString()}`} download>
          匯出
        </a>
      </div>
      <FormMessage id="review-error" message={result?.message} />
      <section className="card">
        <form method="get" className="filters" role="search" aria-label="審核查詢">
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
          <Link to="?review=" className="btn btn-small">
            消除條件
          </Link>
          <details className="disclosure" open>
            <summary className="btn btn-small">進階查詢</summary>
            <RadioFilter legend="類型" name="type" value={f.type} options={Object.entries(sharedTypeLabels)} />
            <RadioFilter legend="審核狀態" name="review" value={f.review} options={Object.entries(reviewLabels)} />
          </details>
        </form>
        <Form method="post" aria-label="批次審核">
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">機關及郵件系統帳號申請</caption>
              <thead>
                <tr>
                  <th scope="col">
                    <span className="visually-hidden">勾選</span>
                  </th>
                  <th scope="col">類型</th>
                  <th scope="col">帳號</th>
                  <th scope="col">帳號名稱</th>
                  <th scope="col">用途說明</th>
                  {isSysAdmin ? <th scope="col">隸屬機關</th> : null}
                  <th scope="col">保管人</th>
                  <th scope="col">帳號狀態</th>
                  <th scope="col">審核狀態</th>
                  <th scope="col">申請時間</th>
                </tr>
              </thead>
              <tbody>
                {list.rows.length === 0 ? (
                  <EmptyRow colSpan={isSysAdmin ? 10 : 9} />
                ) : (
                  list.rows.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <input
                          type="checkbox"
                          name="ids"
                          value={r.id}
                          defaultChecked={selected.has(String(r.id))}
                          aria-label={`勾選 ${r.username}`}
                        />
                      </td>
                      <td data-label="類型">{label(sharedTypeLabels, r.type)}</td>
                      <td data-label="帳號">{r.username}</td>
                      <td data-label="帳號名稱">{r.name}</td>
                      <td data-label="用途說明">{r.purpose}</td>
                      {isSysAdmin ? <td data-label="隸屬機關">{r.agencyName}</td> : null}
                      <td data-label="保管人">{r.custodianName}</td>
                      <td data-label="帳號狀態">{label(statusLabels, r.status)}</td>
                      <td data-label="審核狀態">{label(reviewLabels, r.review_status)}</td>
                      <td data-label="申請時間">{formatDateTime(r.created_at)}</td>
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
          <Pager total={list.total} page={list.page} pageSize={list.pageSize} />
          <details className="disclosure" open={Boolean(failed)}>
            <summary className="btn btn-primary">批次審核</summary>
            <p className="field-hint">
              勾選的申請須帳號狀態相同、隸屬機關相同，且審核狀態皆為「未審核」。審核結果立即生效。
            </p>
            <div className="field">
              <label htmlFor="review-note">審核意見（選填）</label>
              <textarea
                id="review-note"
                name="note"
                rows={2}
                maxLength={500}
                defaultValue={failed?.values.note ?? ""}
              />
            </div>
            <div className="actions">
              <button type="submit" name="decision" value="approve" className="btn btn-primary" disabled={busy}>
                通過
              </button>
              <button type="submit" name="decision" value="reject" className="btn btn-danger" disabled={busy}>
                駁回
              </button>
            </div>
          </details>
        </Form>
      </section>
    </div>
  );
}
