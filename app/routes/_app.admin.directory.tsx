import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { FormMessage } from "~/components/forms";
import consoleStyles from "~/styles/console.css";
import directoryStyles from "~/styles/directory.css";
import { formFailure, formValues, isDomainError, load, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: directoryStyles },
];
export const meta: MetaFunction = () => [{ title: "AD 同步管理作業 | 臺南市政府公務入口網" }];

const kindText: Record<string, string> = {
  missing: "AD 沒有此帳號",
  attributes: "屬性不同",
  enabled: "啟用狀態不同",
  ou: "OU 不同",
  linked: "已連結，待納管",
  unmanaged: "非入口網管理的物件（僅列出）",
  orphan: "入口網沒有此帳號（僅列出）",
  mapping: "機關沒有對應的 OU（AD_OU_MAP）",
};
const jobText = { sync: "帳號資料", password: "密碼" } as const;
const conflictText: Record<string, string> = {
  name: "姓名不同",
  mail: "電子郵件不同",
  "name-mail": "姓名與電子郵件不同",
  mapping: "機關沒有對應的 OU",
};

/** The link report's lists on the page; the counts stay exact. */
const REPORT_ROWS = 200;

/** AD 同步管理作業 (IDN-5): system admins only; anyone else gets 404 from the services. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const { directory, directoryAdmin } = context.services;
  const [status, failures, pending, lastSyncAt] = await load(() =>
    Promise.all([
      directory.status(actor),
      directory.failures(actor, { limit: 100 }),
      directoryAdmin.backlog.pending(actor, { limit: 50 }),
      directoryAdmin.backlog.lastSyncAt(actor),
    ]),
  );
  const check = new URL(request.url).searchParams.get("check") === "1";
  let reconcile = null;
  let reconcileError: string | null = null;
  if (check && status.configured) {
    try {
      reconcile = await directoryAdmin.reconcile.reconcile(actor);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      reconcileError = e.message;
    }
  }
  return json({ status, failures, pending, lastSyncAt, check, reconcile, reconcileError });
}

/**
 * Each intent redirects back with a flash, except 連結既有帳號 (link-import): its report (who was
 * linked, who is only in AD or only here) is shown in the answer, too big for a flash.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const { directory, directoryAdmin } = context.services;
  const form = await readForm(request);
  const values = formValues(form, ["intent", "jobId", "accountId"]);
  const back = (message: string) => redirectBackWithFlash(request, context, message);
  try {
    switch (values.intent) {
      case "retry":
        await directory.retry(actor, values.jobId);
        return back("已重新排入同步。");
      case "retry-all": {
        const n = await directory.retryAll(actor);
        return back(`已重新排入 ${n} 筆失敗的同步作業。`);
      }
      case "fix": {
        const { queued } = await directoryAdmin.reconcile.fix(actor);
        return back(`已為 ${queued} 個帳號排入同步作業。`);
      }
      case "fix-one": {
        const { queued } = await directoryAdmin.reconcile.fixOne(actor, values.accountId);
        return back(`已為 ${queued} 個帳號排入同步作業。`);
      }
      case "link-import": {
        const full = await directoryAdmin.links.importLinks(actor);
        // Counts stay exact; the page lists the first REPORT_ROWS of each list.
        const report = {
          ...full,
          counts: { linked: full.linked.length, adOnly: full.adOnly.length, portalOnly: full.portalOnly.length },
          linked: full.linked.slice(0, REPORT_ROWS),
          adOnly: full.adOnly.slice(0, REPORT_ROWS),
          portalOnly: full.portalOnly.slice(0, REPORT_ROWS),
        };
        return json({ ok: true as const, message: `已連結 ${full.linked.length} 個帳號。`, report });
      }
      case "link-one": {
        const { dn } = await directoryAdmin.links.linkOne(actor, values.accountId);
        return back(`已連結 ${dn}。`);
      }
      default:
        // A page-scope check first, so a non-admin learns nothing from an odd intent either.
        await directory.status(actor);
        return json({ ok: false as const, message: "不支援的操作。", fields: {}, values }, { status: 400 });
    }
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function DirectoryAdmin() {
  const { status, failures, pending, lastSyncAt, check, reconcile, reconcileError } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div className="console directory-admin">
      <div className="page-head">
        <h1 className="page-title">AD 同步管理作業</h1>
      </div>
      {result?.ok ? (
        <div className="alert alert-success" role="status">
          {result.message}
        </div>
      ) : (
        <FormMessage id="directory-error" message={result?.message} />
      )}
      {!status.configured ? (
        <div className="alert alert-info" role="status">
          <strong>AD 未設定</strong>：入口網的帳號異動都在佇列中等候，不算失敗；設定 AD_URL 等參數後會依序同步到 AD。
        </div>
      ) : null}

      <section className="card" aria-labelledby="dir-status">
        <h2 id="dir-status">同步狀態</h2>
        <dl className="facts">
          <dt>AD 連線</dt>
          <dd>{status.configured ? "已設定" : "AD 未設定"}</dd>
          <dt>待同步作業</dt>
          <dd>{status.backlog} 筆</dd>
          <dt>其中曾失敗</dt>
          <dd>{status.failing} 筆</dd>
          <dt>已放棄</dt>
          <dd>{status.dead} 筆</dd>
          <dt>最早一筆等候自</dt>
          <dd>{formatDateTime(status.oldestPendingAt) || "—"}</dd>
          <dt>最後成功同步</dt>
          <dd>{formatDateTime(lastSyncAt) || "尚未同步"}</dd>
        </dl>
      </section>

      <section className="card" aria-labelledby="dir-failures">
        <div className="section-head">
          <h2 id="dir-failures">同步失敗</h2>
          {status.failing > 0 ? (
            <Form method="post">
              <input type="hidden" name="intent" value="retry-all" />
              <button type="submit" className="btn btn-small btn-primary">
                全部重試
              </button>
            </Form>
          ) : null}
        </div>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">同步失敗的作業</caption>
            <thead>
              <tr>
                <th scope="col">帳號</th>
                <th scope="col">姓名</th>
                <th scope="col">作業</th>
                <th scope="col">狀態</th>
                <th scope="col">嘗試次數</th>
                <th scope="col">錯誤（含 AD 訊息）</th>
                <th scope="col">下次重試</th>
                <th scope="col">
                  <span className="visually-hidden">操作</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {failures.length === 0 ? (
                <EmptyRow colSpan={8}>目前沒有失敗的同步作業</EmptyRow>
              ) : (
                failures.map((f) => (
                  <tr key={f.jobId}>
                    <td data-label="帳號">{f.username}</td>
                    <td data-label="姓名">{f.name}</td>
                    <td data-label="作業">{jobText[f.kind]}</td>
                    <td data-label="狀態">{f.state === "dead" ? "已放棄" : "等候重試"}</td>
                    <td data-label="嘗試次數">{f.attempts}</td>
                    <td data-label="錯誤" className="ldap-error">
                      {f.lastError}
                    </td>
                    <td data-label="下次重試">{formatDateTime(f.nextRunAt) || "—"}</td>
                    <td>
                      {f.state === "dead" && f.kind === "password" ? (
                        <span className="muted">請使用者重設密碼</span>
                      ) : (
                        <Form method="post">
                          <input type="hidden" name="intent" value="retry" />
                          <input type="hidden" name="jobId" value={f.jobId} />
                          <button type="submit" className="btn btn-small" aria-label={`重試 ${f.username}`}>
                            重試
                          </button>
                        </Form>
                      )}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="dir-pending">
        <h2 id="dir-pending">待同步作業</h2>
        <p className="muted">
          共 {status.backlog} 筆，依排入順序同步{status.backlog > pending.length ? `；列出前 ${pending.length} 筆` : ""}
          。
        </p>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">待同步作業</caption>
            <thead>
              <tr>
                <th scope="col">帳號</th>
                <th scope="col">姓名</th>
                <th scope="col">作業</th>
                <th scope="col">排入時間</th>
                <th scope="col">預定執行</th>
                <th scope="col">嘗試次數</th>
              </tr>
            </thead>
            <tbody>
              {pending.length === 0 ? (
                <EmptyRow colSpan={6}>沒有待同步的作業</EmptyRow>
              ) : (
                pending.map((p) => (
                  <tr key={p.jobId}>
                    <td data-label="帳號">{p.username}</td>
                    <td data-label="姓名">{p.name}</td>
                    <td data-label="作業">{jobText[p.kind]}</td>
                    <td data-label="排入時間">{formatDateTime(p.createdAt)}</td>
                    <td data-label="預定執行">{formatDateTime(p.runAt)}</td>
                    <td data-label="嘗試次數">{p.attempts}</td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </section>

      <section className="card" aria-labelledby="dir-reconcile">
        <h2 id="dir-reconcile">比對入口網與 AD</h2>
        <p className="muted">
          只比對入口網管理的物件（管理 OU
          內、標記為入口網管理）。修正是為有差異的帳號排入一般的同步作業；非入口網管理的物件只列出，不會變更。
        </p>
        {status.configured ? (
          <form method="get" className="actions">
            <input type="hidden" name="check" value="1" />
            <button type="submit" className="btn btn-primary">
              {check ? "重新比對" : "開始比對"}
            </button>
          </form>
        ) : (
          <p>AD 未設定，無法比對。</p>
        )}
        {reconcileError ? <FormMessage id="reconcile-error" message={reconcileError} /> : null}
        {reconcile ? <DriftTable report={reconcile} /> : null}
      </section>

      <section className="card" aria-labelledby="dir-link">
        <h2 id="dir-link">連結既有 AD 帳號</h2>
        <p className="muted">
          讀取 AD 內的人員（不會變更 AD），依 sAMAccountName
          連結到同名的入口網帳號。姓名或電子郵件不同者列為衝突、不連結。已連結的帳號在下次同步（或比對後「修正」）時才標記為入口網管理。
        </p>
        {status.configured ? (
          <Form method="post" className="actions">
            <input type="hidden" name="intent" value="link-import" />
            <button type="submit" className="btn btn-primary">
              匯入並連結
            </button>
          </Form>
        ) : (
          <p>AD 未設定，無法匯入。</p>
        )}
        {result?.ok && result.report ? <LinkReportView report={result.report} /> : null}
      </section>
    </div>
  );
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;
type Report = NonNullable<LoaderData["reconcile"]>;

function DriftTable({ report }: { report: Report }) {
  const fixable = report.drift.filter((d) => d.fixable).length;
  return (
    <>
      <p role="status">
        比對時間 {formatDateTime(report.checkedAt)}：入口網 {report.portalAccounts} 個帳號、AD 受管物件{" "}
        {report.managedObjects} 個；差異 {report.drift.length} 筆，可修正 {fixable} 筆。
      </p>
      {fixable > 0 ? (
        <Form method="post" className="actions">
          <input type="hidden" name="intent" value="fix" />
          <button type="submit" className="btn btn-primary">
            修正全部差異（{fixable} 筆）
          </button>
        </Form>
      ) : null}
      <div className="table-wrap">
        <table className="data-table">
          <caption className="visually-hidden">入口網與 AD 的差異</caption>
          <thead>
            <tr>
              <th scope="col">差異類型</th>
              <th scope="col">帳號</th>
              <th scope="col">姓名</th>
              <th scope="col">入口網 → AD</th>
              <th scope="col">AD 物件</th>
              <th scope="col">
                <span className="visually-hidden">操作</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {report.drift.length === 0 ? (
              <EmptyRow colSpan={6}>入口網與 AD 一致</EmptyRow>
            ) : (
              report.drift.map((d) => (
                <tr key={`${d.kind}-${d.username}`}>
                  <td data-label="差異類型" className="wrap">
                    {kindText[d.kind] ?? d.kind}
                  </td>
                  <td data-label="帳號">{d.username}</td>
                  <td data-label="姓名">{d.name}</td>
                  <td data-label="入口網 → AD" className="wrap">
                    {d.differences.length === 0 ? (
                      "—"
                    ) : (
                      <ul className="diff-list">
                        {d.differences.map((x) => (
                          <li key={x.attribute}>
                            {x.label}：{x.portal || "（空白）"} → AD {x.ad || "（空白）"}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="AD 物件" className="dn">
                    {d.dn ?? "—"}
                  </td>
                  <td>
                    {d.fixable && d.accountId !== null ? (
                      <Form method="post">
                        <input type="hidden" name="intent" value="fix-one" />
                        <input type="hidden" name="accountId" value={d.accountId} />
                        <button type="submit" className="btn btn-small" aria-label={`修正 ${d.username}`}>
                          修正
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
    </>
  );
}

type LinkReportData = NonNullable<Extract<ReturnType<typeof useActionData<typeof action>>, { ok: true }>["report"]>;

function LinkReportView({ report }: { report: LinkReportData }) {
  return (
    <div className="link-report">
      <p role="status">
        {formatDateTime(report.ranAt)} 匯入：AD 人員 {report.totals.ad} 位、入口網帳號 {report.totals.portal} 個；新連結{" "}
        {report.counts.linked}、原已連結或受管 {report.alreadyLinked}、衝突 {report.conflicts.length}、僅在 AD{" "}
        {report.counts.adOnly}、AD 沒有 {report.counts.portalOnly}。
      </p>
      <h3>衝突（未連結）</h3>
      <div className="table-wrap">
        <table className="data-table">
          <caption className="visually-hidden">連結衝突</caption>
          <thead>
            <tr>
              <th scope="col">帳號</th>
              <th scope="col">原因</th>
              <th scope="col">入口網</th>
              <th scope="col">AD</th>
              <th scope="col">
                <span className="visually-hidden">操作</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {report.conflicts.length === 0 ? (
              <EmptyRow colSpan={5}>沒有衝突</EmptyRow>
            ) : (
              report.conflicts.map((c) => (
                <tr key={c.accountId}>
                  <td data-label="帳號">{c.username}</td>
                  <td data-label="原因">{conflictText[c.reason] ?? c.reason}</td>
                  <td data-label="入口網">
                    {c.portalName} {c.portalMail}
                  </td>
                  <td data-label="AD">
                    {c.adName} {c.adMail}
                  </td>
                  <td>
                    {c.reason !== "mapping" ? (
                      <Form method="post">
                        <input type="hidden" name="intent" value="link-one" />
                        <input type="hidden" name="accountId" value={c.accountId} />
                        <button type="submit" className="btn btn-small" aria-label={`確認為同一人並連結 ${c.username}`}>
                          確認同一人並連結
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
      <NameList
        title="新連結"
        total={report.counts.linked}
        rows={report.linked.map((r) => `${r.username}（${r.name}）${r.movesTo ? `，首次同步將搬到 ${r.movesTo}` : ""}`)}
      />
      <NameList
        title="僅在 AD（入口網沒有此帳號）"
        total={report.counts.adOnly}
        rows={report.adOnly.map((r) => `${r.username}（${r.displayName || r.dn}）`)}
      />
      <NameList
        title="AD 沒有（同步時會新建）"
        total={report.counts.portalOnly}
        rows={report.portalOnly.map((r) => `${r.username}（${r.name}）`)}
      />
      <p>
        <Link to="?check=1">接著比對入口網與 AD</Link>
      </p>
    </div>
  );
}

function NameList({ title, rows, total }: { title: string; rows: string[]; total: number }) {
  return (
    <>
      <h3>
        {title}（{total}）
      </h3>
      {rows.length === 0 ? (
        <p className="muted">無</p>
      ) : (
        <ul className="name-list">
          {rows.map((r) => (
            <li key={r}>{r}</li>
          ))}
          {total > rows.length ? <li className="muted">…另有 {total - rows.length} 筆</li> : null}
        </ul>
      )}
    </>
  );
}
