import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { useEffect, useRef, useState } from "react";
import { StatusBadge } from "~/components/booking";
import { FormMessage } from "~/components/forms";
import bookingStyles from "~/styles/booking.css";
import { todayTaipei, validDate } from "~/utils/booking.server";
import { formFailure, formValues, isDomainError, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import { formatDateTimeRange } from "~/utils/format";
import { itemKindLabels, label } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: bookingStyles }];
export const meta: MetaFunction = () => [{ title: "審核 | 臺南市政府公務入口網" }];

const PAGE_SIZE = 10;
const STATUSES = [
  { value: "pending", label: "未審核" },
  { value: "approved", label: "已核准" },
  { value: "rejected", label: "已駁回" },
  { value: "cancelled", label: "已取消" },
  { value: "all", label: "全部" },
];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const url = new URL(request.url);
  let status = url.searchParams.get("status") ?? undefined;
  let q = (url.searchParams.get("q") ?? "").slice(0, 50);
  let date = validDate(url.searchParams.get("date")) ?? "";
  let page = Number(url.searchParams.get("page")) || 1;
  // A push notification or an e-mail opens one booking (?focus=id): the list narrows to it.
  const focusParam = url.searchParams.get("focus");
  let focus: { id: number; found: boolean } | null = null;
  if (focusParam !== null) {
    const held = await context.services.bookings.heldBooking(actor, focusParam).catch((e: unknown) => {
      if (isDomainError(e)) return null;
      throw e;
    });
    focus = { id: held?.id ?? 0, found: held !== null };
    if (held) {
      status = held.status;
      q = held.itemName.slice(0, 50);
      date = todayTaipei(new Date(held.starts_at));
      page = 1;
    }
  }
  const list = await context.services.bookings.reviewList(actor, { status, q, date, page });
  return json({
    focus,
    filters: { status: list.status, q, date },
    page: list.page,
    total: Number(list.total),
    rows: list.rows.map((r) => ({
      id: r.id,
      status: r.status,
      kind: r.kind,
      itemName: r.itemName,
      applicantName: r.applicantName,
      unitName: r.unitName,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
      reason: r.reason,
      attendees: r.attendees,
      passengers: r.passengers,
      destination: r.destination,
      driverName: r.driverName,
      comment: r.decision_comment,
      decidedByMe: r.decided_by === actor.accountId,
    })),
  });
}

interface BatchLine {
  id: number;
  ok: boolean;
  message: string;
  what: string;
}

/**
 * One decision or comment redirects with a flash. A batch renders its answer instead: it lists
 * each booking's own result (done, or why not), more than a one-line flash can carry.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const { bookings } = context.services;
  const form = await readForm(request);
  const values = formValues(form, ["intent", "id", "decision", "comment"]);
  const input = { decision: values.decision, comment: values.comment };
  try {
    if (values.intent === "decide") {
      const booking = await bookings.heldBooking(actor, values.id);
      const r = await bookings.decide(actor, values.id, input);
      const verb = r.status === "approved" ? "已核准" : "已駁回";
      const what = `${booking.itemName}（${booking.applicantName}，${formatDateTimeRange(booking.starts_at, booking.ends_at)}）`;
      return redirectBackWithFlash(request, context, `${verb}：${what}`);
    }
    if (values.intent === "comment") {
      await bookings.editDecisionComment(actor, values.id, { comment: values.comment });
      return redirectBackWithFlash(request, context, "編輯成功");
    }
    if (values.intent === "batch") {
      // Through the approvals inbox, which any kind of review plugs into.
      const ids = form.getAll("ids").map((v) => (typeof v === "string" ? v : ""));
      const decided = await context.services.inbox.decideMany(
        actor,
        ids.map((id) => `booking:${id}`),
        input,
      );
      const results = decided.map((r) => ({ ...r, id: Number(r.ref.split(":")[1]) }));
      const lines: BatchLine[] = [];
      for (const r of results) {
        const what = await bookings.heldBooking(actor, r.id).then(
          (b) => `${b.itemName}（${b.applicantName}，${formatDateTimeRange(b.starts_at, b.ends_at)}）`,
          () => `申請 #${r.id}`,
        );
        lines.push({ ...r, what });
      }
      const done = lines.filter((l) => l.ok).length;
      return json(
        {
          kind: "batch" as const,
          ok: done > 0,
          message: `批次審核完成：成功 ${done} 筆，未處理 ${lines.length - done} 筆。`,
          results: lines,
        },
        { status: done > 0 ? 200 : 409 },
      );
    }
    return json(
      {
        ok: false as const,
        message: "無法處理這個請求，請重新整理頁面。",
        fields: {} as Record<string, string>,
        values,
      },
      { status: 400 },
    );
  } catch (e) {
    return formFailure(e, values);
  }
}

function pageHref(filters: { status: string; q: string; date: string }, page: number) {
  const p = new URLSearchParams();
  if (filters.status !== "pending") p.set("status", filters.status);
  if (filters.q) p.set("q", filters.q);
  if (filters.date) p.set("date", filters.date);
  if (page > 1) p.set("page", String(page));
  const s = p.toString();
  return s ? `/reviews?${s}` : "/reviews";
}

export default function Reviews() {
  const { focus, filters, page, total, rows } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = navigation.state === "submitting";
  const failure = result && "fields" in result ? result : undefined;
  const outcome = result && "kind" in result ? result : undefined;
  const pending = rows.filter((r) => r.status === "pending");
  const first = total === 0 ? 0 : (page - 1) * PAGE_SIZE + 1;
  const last = Math.min(total, page * PAGE_SIZE);
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));

  // 全選 needs JavaScript, so it appears only once the page is interactive.
  const listRef = useRef<HTMLUListElement>(null);
  const [interactive, setInteractive] = useState(false);
  useEffect(() => setInteractive(true), []);
  const selectAll = (checked: boolean) =>
    listRef.current?.querySelectorAll<HTMLInputElement>('input[name="ids"]').forEach((box) => {
      box.checked = checked;
    });

  return (
    <div>
      <h1 className="page-title">場地及公務車借用審核</h1>
      <Form method="get" className="card search-form" role="search" aria-label="篩選審核清單">
        <div className="field">
          <label htmlFor="rv-status">審核狀態</label>
          <select id="rv-status" name="status" defaultValue={filters.status}>
            {STATUSES.map((s) => (
              <option key={s.value} value={s.value}>
                {s.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="rv-date">借用日期</label>
          <input id="rv-date" name="date" type="date" defaultValue={filters.date} />
        </div>
        <div className="field field-wide">
          <label htmlFor="rv-q">關鍵字</label>
          <input
            id="rv-q"
            name="q"
            type="search"
            defaultValue={filters.q}
            maxLength={50}
            placeholder="物品、申請人或事由"
            enterKeyHint="search"
          />
        </div>
        <div className="button-row field-wide">
          <button type="submit" className="btn btn-primary">
            查詢
          </button>
          <Link to="/reviews" className="btn">
            消除條件
          </Link>
        </div>
      </Form>

      <div aria-live="polite" className="results-live">
        {outcome ? (
          <div className={`alert ${outcome.ok ? "alert-success" : "alert-error"}`} role="status">
            <p className="alert-title">{outcome.message}</p>
            {outcome.results.length > 0 ? (
              <ul className="batch-results">
                {outcome.results.map((r) => (
                  <li key={r.id} className={r.ok ? "batch-ok" : "batch-fail"}>
                    <span aria-hidden="true">{r.ok ? "✓" : "✗"}</span>
                    {` ${r.what}：${r.message}`}
                  </li>
                ))}
              </ul>
            ) : null}
          </div>
        ) : (
          <FormMessage id="review-error" message={failure?.message} />
        )}
      </div>

      {focus && !focus.found ? (
        <div className="alert alert-error" role="alert">
          找不到這筆申請，或您沒有權限審核。
        </div>
      ) : null}

      <p className="list-summary">
        {`總計 ${total} 筆，每頁顯示 ${PAGE_SIZE} 筆`}
        {total > 0 ? <span className="muted">{`（顯示 ${total} 筆中的 ${first} 到 ${last} 筆）`}</span> : null}
      </p>

      {rows.length === 0 ? (
        <p className="card empty">目前沒有資料</p>
      ) : (
        <>
          {pending.length > 0 ? (
            <details className="card batch" open={failure?.values.intent === "batch" || undefined}>
              <summary>
                <h2>批次審核</h2>
              </summary>
              <Form method="post" id="batch" className="batch-form">
                <p className="field-hint">勾選下方申請後，以同一個審核結果及說明一次送出。</p>
                {interactive ? (
                  <label className="check">
                    <input type="checkbox" onChange={(e) => selectAll(e.currentTarget.checked)} />
                    全選本頁未審核申請
                  </label>
                ) : null}
                <input type="hidden" name="intent" value="batch" />
                <fieldset className="fieldset radio-row">
                  <legend>審核結果</legend>
                  <label className="check">
                    <input type="radio" name="decision" value="approve" defaultChecked />
                    核准
                  </label>
                  <label className="check">
                    <input type="radio" name="decision" value="reject" />
                    駁回
                  </label>
                </fieldset>
                <div
                  className={`field${failure?.values.intent === "batch" && failure.fields.comment ? " field-invalid" : ""}`}
                >
                  <label htmlFor="batch-comment">審核說明</label>
                  <textarea
                    id="batch-comment"
                    name="comment"
                    rows={2}
                    maxLength={500}
                    defaultValue={failure?.values.intent === "batch" ? failure.values.comment : undefined}
                    aria-describedby={
                      failure?.values.intent === "batch" && failure.fields.comment ? "batch-comment-error" : undefined
                    }
                  />
                  {failure?.values.intent === "batch" && failure.fields.comment ? (
                    <p className="field-error" id="batch-comment-error">
                      {failure.fields.comment}
                    </p>
                  ) : null}
                </div>
                <button type="submit" className="btn btn-primary btn-block" disabled={submitting}>
                  批次審核
                </button>
              </Form>
            </details>
          ) : null}

          <ul className="booking-list" ref={listRef}>
            {rows.map((r) => {
              const err =
                failure?.values.intent === "decide" && failure.values.id === String(r.id) ? failure : undefined;
              const commentId = `comment-${r.id}`;
              return (
                <li
                  key={r.id}
                  id={`booking-${r.id}`}
                  className={`card booking-card${focus?.id === r.id ? " booking-card-focus" : ""}`}
                  aria-current={focus?.id === r.id ? "true" : undefined}
                >
                  <div className="booking-head">
                    <h2>
                      <span className="kind">{label(itemKindLabels, r.kind)}</span>
                      {r.itemName}
                    </h2>
                    <StatusBadge status={r.status} />
                  </div>
                  {r.status === "pending" ? (
                    <label className="check pick">
                      <input type="checkbox" name="ids" value={r.id} form="batch" />
                      選取此申請（批次審核）
                    </label>
                  ) : null}
                  <p className="booking-time">{formatDateTimeRange(r.startsAt, r.endsAt)}</p>
                  <dl className="facts facts-compact">
                    <dt>申請人</dt>
                    <dd>
                      {r.applicantName}／{r.unitName}
                    </dd>
                    {r.kind === "car" ? (
                      <>
                        <dt>乘客人數</dt>
                        <dd>{r.passengers ?? "—"} 人</dd>
                        <dt>目的地</dt>
                        <dd>{r.destination ?? "—"}</dd>
                        <dt>派遣司機</dt>
                        <dd>{r.driverName ?? "不需司機"}</dd>
                      </>
                    ) : (
                      <>
                        <dt>使用人數</dt>
                        <dd>{r.attendees ?? "—"} 人</dd>
                      </>
                    )}
                    {r.comment ? (
                      <>
                        <dt>審核說明</dt>
                        <dd className="prewrap">{r.comment}</dd>
                      </>
                    ) : null}
                  </dl>
                  <details className="more">
                    <summary>申請資訊 › 查看</summary>
                    <p className="prewrap">
                      <strong>借用事由：</strong>
                      {r.reason}
                    </p>
                  </details>
                  {r.decidedByMe && (r.status === "approved" || r.status === "rejected") ? (
                    <details className="more">
                      <summary>修改審核說明</summary>
                      <Form method="post" className="decide-form">
                        <input type="hidden" name="intent" value="comment" />
                        <input type="hidden" name="id" value={r.id} />
                        <div className="field">
                          <label htmlFor={`edit-${commentId}`}>審核說明</label>
                          <textarea
                            id={`edit-${commentId}`}
                            name="comment"
                            rows={2}
                            maxLength={500}
                            defaultValue={r.comment ?? ""}
                          />
                        </div>
                        <button type="submit" className="btn" disabled={submitting}>
                          儲存審核說明
                        </button>
                      </Form>
                    </details>
                  ) : null}
                  {r.status === "pending" ? (
                    <Form method="post" className="decide-form">
                      <input type="hidden" name="intent" value="decide" />
                      <input type="hidden" name="id" value={r.id} />
                      <div className={`field${err?.fields.comment ? " field-invalid" : ""}`}>
                        <label htmlFor={commentId}>審核說明</label>
                        <textarea
                          id={commentId}
                          name="comment"
                          rows={2}
                          maxLength={500}
                          placeholder="駁回時必填"
                          defaultValue={err?.values.comment}
                          aria-describedby={err?.fields.comment ? `${commentId}-error` : undefined}
                        />
                        {err ? (
                          <p className="field-error" id={`${commentId}-error`}>
                            {err.fields.comment ?? err.message}
                          </p>
                        ) : null}
                      </div>
                      <div className="button-row">
                        <button
                          type="submit"
                          name="decision"
                          value="approve"
                          className="btn btn-primary"
                          disabled={submitting}
                        >
                          核准
                        </button>
                        <button
                          type="submit"
                          name="decision"
                          value="reject"
                          className="btn btn-danger"
                          disabled={submitting}
                        >
                          駁回
                        </button>
                      </div>
                    </Form>
                  ) : null}
                </li>
              );
            })}
          </ul>

          {pages > 1 ? (
            <nav className="pager-row" aria-label="分頁">
              {page > 1 ? (
                <Link to={pageHref(filters, page - 1)} className="btn btn-small">
                  ‹ 上一頁
                </Link>
              ) : (
                <span />
              )}
              <p className="pager-label">
                第 {page} / {pages} 頁
              </p>
              {page < pages ? (
                <Link to={pageHref(filters, page + 1)} className="btn btn-small">
                  下一頁 ›
                </Link>
              ) : (
                <span />
              )}
            </nav>
          ) : null}
        </>
      )}
    </div>
  );
}
