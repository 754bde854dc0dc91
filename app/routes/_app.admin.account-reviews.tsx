import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useLocation } from "@remix-run/react";
import { useRef } from "react";
import { useModalDialog } from "~/components/confirm-dialog";
import { EmptyRow } from "~/components/empty-row";
import { FormMessage, TextField } from "~/components/forms";
import { Pager } from "~/components/list-page";
import styles from "~/styles/applications.css";
import consoleStyles from "~/styles/console.css";
import { applicationResultLabels, applicationTypeLabels } from "~/utils/applications";
import { formValues, isDomainError, readForm } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { label, roleLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";
import { httpStatus } from "../../bff/errors.js";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: styles },
];
export const meta: MetaFunction = () => [{ title: "個人公務帳號審核 | 臺南市政府公務入口網" }];

const FILTER_KEYS = ["type", "q", "from", "to", "result", "page", "size"];

/** What the decision dialog shows: the selection, and the single application in full. */
interface Selection {
  ids: number[];
  needsOfficialMail: boolean;
  summary: { id: number; type: string; username: string; name: string }[];
  detail: Awaited<ReturnType<Services["applications"]["review"]["get"]>> | null;
}
type Services = import("../../bff/container.js").Services;

async function selection(
  services: Services,
  actor: Parameters<Services["applications"]["review"]["get"]>[0],
  ids: unknown[],
) {
  const review = services.applications.review;
  const checked = await review.checkBatch(actor, ids);
  const detail = checked.ids.length === 1 ? await review.get(actor, String(checked.ids[0])) : null;
  return { ...checked, detail } satisfies Selection;
}

/** ACC-13 個人公務帳號審核: search, export, single and batch review (agency and system admins). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  if (actor.role === "user") throw new Response("找不到資料", { status: 404 });
  const sp = new URL(request.url).searchParams;
  const input = Object.fromEntries(FILTER_KEYS.map((k) => [k, sp.get(k) ?? ""]));
  const list = await context.services.applications.review.list(actor, input);
  // ?review=ID (a row's 審核 link, a notification, a mail) opens the dialog for one.
  const reviewId = sp.get("review") ?? sp.get("focus");
  let dialog: Selection | null = null;
  let dialogError: string | null = null;
  let decided: Selection["detail"] = null;
  if (reviewId) {
    try {
      dialog = await selection(context.services, actor, [reviewId]);
    } catch (e) {
      if (!isDomainError(e)) throw e;
      if (e.code === "not_found") throw new Response("找不到資料", { status: 404 });
      // A decided application opens read only (issue 17); any other refusal is a message.
      if (e.code === "conflict") decided = await context.services.applications.review.get(actor, reviewId);
      else dialogError = e.message;
    }
  }
  return json({ list, dialog, decided, dialogError, isSysAdmin: actor.role === "sys_admin" });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  if (actor.role === "user") throw new Response("找不到資料", { status: 404 });
  const form = await readForm(request);
  const values = formValues(form, [
    "intent",
    "decision",
    "needsOfficialMail",
    "effective",
    "executeAt",
    "comment",
    "username",
  ]);
  const ids = form.getAll("ids");
  const review = context.services.applications.review;
  const fail = (e: unknown, extra: { dialog?: Selection | null; intent: string }) => {
    if (!isDomainError(e)) throw e;
    if (e.code === "not_found") throw new Response("找不到資料", { status: 404 });
    return json(
      {
        ok: false as const,
        message: e.message,
        fields: e.fields,
        values,
        results: [] as { id: number; message: string }[],
        ...extra,
        dialog: extra.dialog ?? null,
      },
      { status: httpStatus(e.code) },
    );
  };
  if (values.intent === "grant") {
    try {
      const r = await context.services.applications.self.grantSysAdmin(actor, { username: values.username });
      return json({
        ok: true as const,
        intent: "grant",
        message: `已授予 ${r.name} 系統管理者權限。`,
        results: [] as { id: number; message: string }[],
        dialog: null,
      });
    } catch (e) {
      return fail(e, { intent: "grant" });
    }
  }
  if (values.intent === "confirm") {
    try {
      const dialog = await selection(context.services, actor, ids);
      return json({
        ok: true as const,
        intent: "confirm",
        message: "",
        results: [] as { id: number; message: string }[],
        dialog,
      });
    } catch (e) {
      return fail(e, { intent: "confirm" });
    }
  }
  try {
    const r = await review.decide(actor, ids, {
      decision: values.decision,
      needsOfficialMail: values.needsOfficialMail,
      effective: values.effective,
      executeAt: values.executeAt,
      comment: values.comment,
    });
    const verb = r.decision === "reject" ? "駁回" : r.scheduled ? "通過（預約生效）" : "通過";
    return json({
      ok: true as const,
      intent: "decide",
      message: `已${verb} ${r.results.length} 筆申請。`,
      results: r.results,
      dialog: null,
    });
  } catch (e) {
    // Keep the dialog open with what was chosen, unless the selection itself is gone.
    const dialog = await selection(context.services, actor, ids).catch(() => null);
    return fail(e, { intent: "decide", dialog });
  }
}

type Detail = NonNullable<Selection["detail"]>;

/** One application in full: the decision dialog and the read-only view of a decided one. */
function ApplicationFacts({ d }: { d: Detail }) {
  return (
    <dl className="facts">
      <dt>審核類型</dt>
      <dd>{label(applicationTypeLabels, d.type)}</dd>
      <dt>帳號</dt>
      <dd>{d.username}</dd>
      <dt>姓名</dt>
      <dd>{d.name}</dd>
      <dt>職稱</dt>
      <dd>{d.title || "—"}</dd>
      <dt>申請機關/單位</dt>
      <dd>
        {d.agencyName} › {d.unitName}
      </dd>
      {d.type === "agency_change" ? (
        <>
          <dt>目前機關/單位</dt>
          <dd>
            {d.currentAgencyName} › {d.currentUnitName}
          </dd>
        </>
      ) : null}
      <dt>公務電話</dt>
      <dd>
        {d.office_phone || "—"}
        {d.office_ext ? ` 分機 ${d.office_ext}` : ""}
      </dd>
      <dt>辦公地址</dt>
      <dd>{d.work_address || "—"}</dd>
      <dt>備用信箱</dt>
      <dd>{d.backup_email || "—"}</dd>
      <dt>權限／帳號狀態</dt>
      <dd>
        {label(roleLabels, d.role)}／{label(statusLabels, d.accountStatus)}
      </dd>
      {d.reason ? (
        <>
          <dt>申請原因</dt>
          <dd>{d.reason}</dd>
        </>
      ) : null}
      <dt>申請時間</dt>
      <dd>{formatDateTime(d.submitted_at)}</dd>
    </dl>
  );
}

/** A decided application, read only (issue 17): what was asked, and how and by whom it was decided. */
function DecidedDialog({ d, closeHref }: { d: Detail; closeHref: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const closeRef = useRef<HTMLAnchorElement>(null);
  useModalDialog(ref, closeHref, closeRef);
  return (
    <dialog open className="detail-dialog" aria-labelledby="decided-title" ref={ref}>
      <div className="dialog-head">
        <h2 id="decided-title">申請內容（{label(applicationResultLabels, d.result)}）</h2>
        <Link to={closeHref} className="dialog-close" aria-label="關閉" preventScrollReset ref={closeRef}>
          ×
        </Link>
      </div>
      <p className="field-hint">此申請已審核，僅供檢視。</p>
      <ApplicationFacts d={d} />
      <dl className="facts">
        <dt>審核結果</dt>
        <dd>{label(applicationResultLabels, d.result)}</dd>
        <dt>審核者</dt>
        <dd>{d.deciderName ?? "—"}</dd>
        <dt>審核時間</dt>
        <dd>{d.decided_at ? formatDateTime(d.decided_at) : "—"}</dd>
        {d.effective_at ? (
          <>
            <dt>生效時間</dt>
            <dd>{formatDateTime(d.effective_at)}</dd>
          </>
        ) : null}
        <dt>審核說明</dt>
        <dd>{d.decision_comment || "—"}</dd>
      </dl>
      <div className="decision-buttons">
        <Link to={closeHref} className="btn" preventScrollReset>
          關閉
        </Link>
      </div>
    </dialog>
  );
}

function DecisionDialog({
  dialog,
  failure,
  cancelHref,
}: {
  dialog: Selection;
  failure?: { message: string; fields: Record<string, string>; values: Record<string, string> };
  cancelHref: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useModalDialog(ref, cancelHref);
  const v = failure?.values ?? {};
  const f = failure?.fields ?? {};
  const mail = v.needsOfficialMail || (dialog.needsOfficialMail ? "1" : "0");
  const d = dialog.detail;
  return (
    <dialog open className="detail-dialog" aria-labelledby="decide-title" ref={ref}>
      <div className="dialog-head">
        <h2 id="decide-title">{dialog.ids.length > 1 ? `批次審核 ${dialog.ids.length} 筆申請` : "審核申請"}</h2>
        <Link to={cancelHref} className="dialog-close" aria-label="關閉" preventScrollReset>
          ×
        </Link>
      </div>
      <FormMessage id="decide-error" message={failure?.message} />
      {d ? (
        <ApplicationFacts d={d} />
      ) : (
        <ul className="selection-list">
          {dialog.summary.map((s) => (
            <li key={s.id}>
              {label(applicationTypeLabels, s.type)}：{s.name}（{s.username}）
            </li>
          ))}
        </ul>
      )}
      <Form method="post" noValidate preventScrollReset>
        <input type="hidden" name="intent" value="decide" />
        {dialog.ids.map((id) => (
          <input key={id} type="hidden" name="ids" value={id} />
        ))}
        <fieldset className="radio-row">
          <legend>是否需要使用公務郵件</legend>
          <label>
            <input type="radio" name="needsOfficialMail" value="1" defaultChecked={mail === "1"} />
            需要
          </label>
          <label>
            <input type="radio" name="needsOfficialMail" value="0" defaultChecked={mail === "0"} />
            不需要
          </label>
        </fieldset>
        <fieldset className="radio-row" aria-describedby="effective-hint">
          <legend>生效時間</legend>
          <label>
            <input type="radio" name="effective" value="now" defaultChecked={v.effective !== "scheduled"} />
            立即生效
          </label>
          <label>
            <input type="radio" name="effective" value="scheduled" defaultChecked={v.effective === "scheduled"} />
            預約生效
          </label>
          <p className="field-hint" id="effective-hint">
            預約生效僅適用於「通過」；駁回一律立即生效。
          </p>
        </fieldset>
        <TextField
          label="預約生效時間"
          name="executeAt"
          type="datetime-local"
          defaultValue={v.executeAt}
          error={f.executeAt}
          hint="選擇預約生效時填寫"
        />
        <div className={`field${f.comment ? " field-invalid" : ""}`}>
          <label htmlFor="f-comment">審核說明（駁回時必填）</label>
          <textarea
            id="f-comment"
            name="comment"
            rows={3}
            maxLength={500}
            defaultValue={v.comment}
            aria-invalid={f.comment ? true : undefined}
            aria-describedby={f.comment ? "f-comment-error" : undefined}
          />
          {f.comment ? (
            <p className="field-error" id="f-comment-error">
              {f.comment}
            </p>
          ) : null}
        </div>
        <div className="decision-buttons">
          <button type="submit" name="decision" value="approve" className="btn btn-primary">
            通過
          </button>
          <button type="submit" name="decision" value="reject" className="btn btn-danger">
            駁回
          </button>
          <Link to={cancelHref} className="btn" preventScrollReset>
            取消
          </Link>
        </div>
      </Form>
    </dialog>
  );
}

export default function AccountReviews() {
  const { list, dialog: loaderDialog, decided, dialogError, isSysAdmin } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const location = useLocation();
  const sp = new URLSearchParams(location.search);
  sp.delete("review");
  sp.delete("focus");
  const cancelHref = `?${sp.toString()}`;
  const dialog = (result?.dialog ??
    (result?.intent === "decide" && result.ok ? null : loaderDialog)) as Selection | null;
  const failure = result && !result.ok ? result : undefined;
  const exportHref = `/admin/account-reviews.xlsx?${sp.toString()}`;
  const f = list.filters;
  return (
    <div className="console">
      <div className="page-head">
        <h1 className="page-title">個人公務帳號審核</h1>
        <a href={exportHref} className="btn">
          匯出 Excel
        </a>
      </div>
      {result?.ok && result.message ? (
        <div className="alert alert-success" role="status">
          {result.message}
          {result.results.length > 0 && result.results.length <= 20 ? (
            <ul>
              {result.results.map((r) => (
                <li key={r.id}>{r.message}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
      {failure && !dialog ? <FormMessage id="queue-error" message={failure.message} /> : null}
      {dialogError && !(result?.ok && result.intent === "decide") ? (
        <FormMessage id="dialog-error" message={dialogError} />
      ) : null}
      <section className="card" aria-label="查詢條件">
        <form method="get" className="filters" role="search">
          <label htmlFor="q-type">審核類型</label>
          <select id="q-type" name="type" defaultValue={f.type}>
            <option value="">全部</option>
            {Object.entries(applicationTypeLabels).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
          <label htmlFor="q-result">審核結果</label>
          <select id="q-result" name="result" defaultValue={f.result}>
            <option value="">全部</option>
            {Object.entries(applicationResultLabels).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
          <label htmlFor="q-kw">關鍵字</label>
          <input id="q-kw" name="q" type="search" defaultValue={f.q} placeholder="帳號、姓名、職稱" maxLength={50} />
          <fieldset className="filter-range">
            <legend>申請時間</legend>
            <label htmlFor="q-from">起</label>
            <input
              id="q-from"
              name="from"
              type="date"
              defaultValue={f.from}
              aria-invalid={list.errors.from ? true : undefined}
              aria-describedby={list.errors.from ? "q-from-error" : undefined}
            />
            <label htmlFor="q-to">迄</label>
            <input
              id="q-to"
              name="to"
              type="date"
              defaultValue={f.to}
              aria-invalid={list.errors.to ? true : undefined}
              aria-describedby={list.errors.to ? "q-to-error" : undefined}
            />
          </fieldset>
          <button type="submit" className="btn btn-small btn-primary">
            查詢
          </button>
          <Link to="?" className="btn btn-small">
            消除條件
          </Link>
        </form>
        {list.errors.from ? (
          <p className="field-error" id="q-from-error">
            申請時間起：{list.errors.from}
          </p>
        ) : null}
        {list.errors.to ? (
          <p className="field-error" id="q-to-error">
            申請時間迄：{list.errors.to}
          </p>
        ) : null}
      </section>
      <Form method="post" className="card" preventScrollReset>
        <div className="page-head">
          <h2>申請清單</h2>
          <button type="submit" name="intent" value="confirm" className="btn btn-primary">
            批次審核
          </button>
        </div>
        <p className="field-hint">批次審核限勾選「未審核」且權限、帳號狀態、隸屬機關、郵件使用狀態都相同的申請。</p>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">個人公務帳號審核清單</caption>
            <thead>
              <tr>
                <th scope="col">選取</th>
                <th scope="col">審核類型</th>
                <th scope="col">申請時間</th>
                <th scope="col">帳號</th>
                <th scope="col">姓名</th>
                <th scope="col">職稱</th>
                <th scope="col">申請機關/單位</th>
                <th scope="col">權限</th>
                <th scope="col">帳號狀態</th>
                <th scope="col">公務郵件</th>
                <th scope="col">審核結果</th>
                <th scope="col">動作</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.length === 0 ? (
                <EmptyRow colSpan={12} />
              ) : (
                list.rows.map((r) => (
                  <tr key={r.id}>
                    <td data-label="選取">
                      {r.result === "pending" ? (
                        <input
                          type="checkbox"
                          name="ids"
                          value={r.id}
                          className="queue-check"
                          aria-label={`選取 ${r.name}（${r.username}）`}
                        />
                      ) : null}
                    </td>
                    <td data-label="審核類型">{label(applicationTypeLabels, r.type)}</td>
                    <td data-label="申請時間">{formatDateTime(r.submitted_at)}</td>
                    <td data-label="帳號">{r.username}</td>
                    <td data-label="姓名">{r.name}</td>
                    <td data-label="職稱">{r.title}</td>
                    <td data-label="申請機關/單位">
                      {r.agencyName} › {r.unitName}
                    </td>
                    <td data-label="權限">{label(roleLabels, r.role)}</td>
                    <td data-label="帳號狀態">{label(statusLabels, r.accountStatus)}</td>
                    <td data-label="公務郵件">{r.needs_official_mail ? "使用" : "不使用"}</td>
                    <td data-label="審核結果" className={r.result === "pending" ? "result-pending" : undefined}>
                      {label(applicationResultLabels, r.result)}
                      {r.result === "scheduled" && r.effective_at ? `（${formatDateTime(r.effective_at)}）` : ""}
                    </td>
                    <td data-label="動作">
                      {r.result === "pending" ? (
                        <Link
                          to={`?${new URLSearchParams([...sp, ["review", String(r.id)]]).toString()}`}
                          preventScrollReset
                        >
                          審核
                        </Link>
                      ) : (
                        <Link
                          to={`?${new URLSearchParams([...sp, ["review", String(r.id)]]).toString()}`}
                          preventScrollReset
                          aria-label={`檢視 ${r.name}（${r.username}）的申請`}
                        >
                          檢視
                        </Link>
                      )}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
        <Pager total={list.total} page={list.page} pageSize={list.pageSize} sizes={list.pageSizes} />
      </Form>
      {isSysAdmin ? (
        <section className="card" aria-labelledby="grant-title">
          <h2 id="grant-title">直接授予系統管理者</h2>
          <p className="field-hint">系統管理者可直接授予其他啟用中的帳號系統管理者權限（不經審核，留有稽核紀錄）。</p>
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="grant" />
            <TextField
              label="帳號"
              name="username"
              id="f-grant-username"
              autoCapitalize="none"
              spellCheck={false}
              defaultValue={failure?.intent === "grant" ? failure.values.username : undefined}
              error={failure?.intent === "grant" ? failure.fields.username : undefined}
            />
            <button type="submit" className="btn">
              授予系統管理者
            </button>
          </Form>
        </section>
      ) : null}
      {decided && !dialog ? <DecidedDialog d={decided as unknown as Detail} closeHref={cancelHref} /> : null}
      {dialog ? (
        <DecisionDialog
          dialog={dialog}
          failure={failure?.intent === "decide" ? failure : undefined}
          cancelHref={cancelHref}
        />
      ) : null}
    </div>
  );
}
