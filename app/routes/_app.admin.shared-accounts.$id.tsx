import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Tabs } from "~/components/items";
import { consoleLinks } from "~/components/list-page";
import { ChangeLogTable, CustodianPicker, reviewLabels, sharedTypeLabels } from "~/components/shared-accounts";
import { FormMessage } from "~/components/forms";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label, loginPermissionLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "機關及郵件系統帳號詳細 | 臺南市政府公務入口網" }];

type Tab = "data" | "status";

/** ACC-14 detail, two tabs: 帳號資料 (custodian, password, data log) and 帳號狀態 (unlock, disable, status log). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const tab: Tab = sp.get("tab") === "status" ? "status" : "data";
  const s = context.services.sharedAccounts;
  const account = await load(() => s.get(actor, params.id));
  const filter = { from: sp.get("from"), to: sp.get("to"), page: sp.get("page") };
  const [log, candidates] = await Promise.all([
    load(() => s.changeLog(actor, account.id, tab, filter)),
    tab === "data" ? load(() => s.custodianCandidates(actor, account.id, sp.get("q"))) : Promise.resolve([]),
  ]);
  return json({ account, tab, log, candidates, q: (sp.get("q") ?? "").slice(0, 50) });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "accountId", "reason"]);
  const s = context.services.sharedAccounts;
  try {
    if (values.intent === "transfer") await s.transfer(actor, params.id, values);
    else if (values.intent === "reset") await s.resetPassword(actor, params.id);
    else if (values.intent === "unlock") await s.unlock(actor, params.id);
    else if (values.intent === "disable") await s.disable(actor, params.id, values);
    else throw new Response("不支援的操作", { status: 400 });
    const done: Record<string, string> = {
      transfer: "已移轉保管人",
      reset: "密碼已重設，新密碼已寄至保管人信箱",
      unlock: "已解鎖",
      disable: "已停用",
    };
    return redirectBackWithFlash(request, context, done[values.intent]!);
  } catch (e) {
    if (e instanceof Response) throw e;
    return formFailure(e, values);
  }
}

export default function SharedAccountDetail() {
  const { account: a, tab, log, candidates, q } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const failed = result ?? null;
  const base = `/admin/shared-accounts/${a.id}`;
  const exportQuery = new URLSearchParams({ from: log.filter.from, to: log.filter.to });
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin/shared-accounts">機關及郵件系統帳號管理</Link> › <span aria-current="page">詳細</span>
      </nav>
      <h1 className="page-title">
        {a.name}（{a.username}）
      </h1>
      <FormMessage id="shared-error" message={result?.message} />
      <Tabs
        label="機關及郵件系統帳號"
        panelId="detail-panel"
        current={tab}
        tabs={[
          { id: "data", label: "帳號資料", to: `${base}?tab=data` },
          { id: "status", label: "帳號狀態", to: `${base}?tab=status` },
        ]}
      />
      <div id="detail-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "data" ? (
          <>
            <section className="card" aria-labelledby="basic">
              <h2 id="basic">帳號資料</h2>
              <dl className="facts">
                <dt>類型</dt>
                <dd>{label(sharedTypeLabels, a.type)}</dd>
                <dt>帳號</dt>
                <dd>{a.username}</dd>
                <dt>帳號名稱</dt>
                <dd>{a.name}</dd>
                <dt>用途說明</dt>
                <dd>{a.purpose}</dd>
                <dt>隸屬機關</dt>
                <dd>{a.agencyName}</dd>
                <dt>保管人</dt>
                <dd>
                  {a.custodianName}｜{a.custodianUnit}｜{a.custodianTitle || "—"}｜{a.custodianPhone || "—"}
                </dd>
                <dt>審核狀態</dt>
                <dd>{label(reviewLabels, a.review_status)}</dd>
                <dt>密碼設定時間</dt>
                <dd>{formatDateTime(a.password_changed_at) || "—"}</dd>
              </dl>
              {a.status === "enabled" && a.review_status === "approved" ? (
                <Form method="post" className="actions">
                  <input type="hidden" name="intent" value="reset" />
                  <button type="submit" className="btn" disabled={busy}>
                    重設密碼
                  </button>
                  <span className="field-hint">新密碼將寄至保管人的信箱，不會顯示在畫面上。</span>
                </Form>
              ) : null}
            </section>
            {a.status !== "disabled" && a.review_status !== "rejected" ? (
              <section className="card" aria-labelledby="transfer">
                <details
                  className="disclosure"
                  open={Boolean(failed && failed.values.intent === "transfer") || q !== ""}
                >
                  <summary className="btn" id="transfer">
                    保管人異動
                  </summary>
                  <CustodianPicker
                    q={q}
                    candidates={candidates}
                    values={failed?.values ?? {}}
                    errors={failed?.fields ?? {}}
                    busy={busy}
                    keep={{ tab: "data" }}
                  />
                </details>
              </section>
            ) : null}
          </>
        ) : (
          <section className="card" aria-labelledby="state">
            <h2 id="state">帳號狀態</h2>
            <dl className="facts">
              <dt>帳號狀態</dt>
              <dd>{label(statusLabels, a.status)}</dd>
              <dt>帳號登入許可狀態</dt>
              <dd>
                {label(loginPermissionLabels, a.login_permission)}
                {a.locked_at ? `（${formatDateTime(a.locked_at)} 鎖定）` : ""}
              </dd>
              <dt>最後登入</dt>
              <dd>{formatDateTime(a.last_login_at) || "—"}</dd>
            </dl>
            {a.login_permission === "locked" ? (
              <Form method="post" className="actions">
                <input type="hidden" name="intent" value="unlock" />
                <button type="submit" className="btn btn-primary" disabled={busy}>
                  解鎖
                </button>
              </Form>
            ) : null}
            {a.status !== "disabled" ? (
              <details className="disclosure danger-zone" open={Boolean(failed && failed.values.intent === "disable")}>
                <summary className="btn btn-danger">我要停用</summary>
                <Form method="post">
                  <input type="hidden" name="intent" value="disable" />
                  <div className={`field${failed?.fields.reason ? " field-invalid" : ""}`}>
                    <label htmlFor="disable-reason">停用原因</label>
                    <textarea
                      id="disable-reason"
                      name="reason"
                      rows={2}
                      maxLength={200}
                      defaultValue={failed?.values.intent === "disable" ? failed.values.reason : ""}
                      aria-invalid={failed?.fields.reason ? true : undefined}
                      aria-describedby={failed?.fields.reason ? "disable-reason-error" : undefined}
                    />
                    {failed?.fields.reason ? (
                      <p className="field-error" id="disable-reason-error">
                        {failed.fields.reason}
                      </p>
                    ) : null}
                  </div>
                  <button type="submit" className="btn btn-danger" disabled={busy}>
                    確定停用
                  </button>
                </Form>
              </details>
            ) : null}
          </section>
        )}
        <ChangeLogTable
          title={tab === "data" ? "資料異動紀錄" : "帳號狀態異動紀錄"}
          log={log}
          tab={tab}
          exportHref={`/admin/shared-accounts/${a.id}/${tab}.xlsx?${exportQuery.toString()}`}
        />
      </div>
    </div>
  );
}
