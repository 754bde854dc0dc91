import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { StatusBadge } from "~/components/booking";
import { ConfirmAction } from "~/components/confirm-dialog";
import bookingStyles from "~/styles/booking.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime, formatDateTimeRange } from "~/utils/format";
import { itemKindLabels, label } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: bookingStyles }];
export const meta: MetaFunction = () => [{ title: "場地及公務車申請紀錄 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const rows = await context.services.bookings.mine(actor, 100);
  const now = context.services.clock.now().getTime();
  return json({
    bookings: rows.map((b) => ({
      id: b.id,
      status: b.status,
      itemId: b.itemId,
      itemName: b.itemName,
      kind: b.kind,
      driverName: b.driverName,
      reason: b.reason,
      comment: b.decision_comment,
      createdAt: b.created_at,
      startsAt: b.starts_at,
      endsAt: b.ends_at,
      // BKG-4 (decision): pending, or approved and not yet started. The service decides again.
      cancellable: b.status === "pending" || (b.status === "approved" && new Date(b.starts_at).getTime() > now),
    })),
  });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["intent", "id"]);
  if (values.intent !== "cancel") {
    return json(
      { ok: false as const, message: "無法處理這個請求，請重新整理頁面。", fields: {}, values },
      { status: 400 },
    );
  }
  try {
    await context.services.bookings.cancel(actor, values.id);
    return redirectWithFlash(context, "/book/mine", "已取消申請。");
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function MyBookings() {
  const { bookings } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const created = params.get("created") === "1";
  return (
    <div>
      <p className="back-link">
        <Link to="/book">‹ 返回預約</Link>
      </p>
      <h1 className="page-title">場地及公務車申請紀錄</h1>
      <div aria-live="polite">
        {result ? (
          <div className="alert alert-error" role="alert">
            {result.message}
          </div>
        ) : created ? (
          <div className="alert alert-success" role="status">
            申請已送出，請等候保管人審核；審核結果將以電子郵件通知您。
          </div>
        ) : null}
      </div>
      {bookings.length === 0 ? (
        <p className="card empty">目前沒有資料</p>
      ) : (
        <ul className="booking-list">
          {bookings.map((b) => (
            <li key={b.id} className="card booking-card">
              <div className="booking-head">
                <h2>
                  <span className="kind">{label(itemKindLabels, b.kind)}</span>
                  <Link to={`/book/${b.itemId}`}>{b.itemName}</Link>
                </h2>
                <StatusBadge status={b.status} />
              </div>
              <p className="booking-time">{formatDateTimeRange(b.startsAt, b.endsAt)}</p>
              <dl className="facts facts-compact">
                <dt>借用事由</dt>
                <dd className="prewrap">{b.reason}</dd>
                {b.driverName ? (
                  <>
                    <dt>派遣司機</dt>
                    <dd>{b.driverName}</dd>
                  </>
                ) : null}
                {b.comment ? (
                  <>
                    <dt>審核說明</dt>
                    <dd className="prewrap">{b.comment}</dd>
                  </>
                ) : null}
                <dt>申請時間</dt>
                <dd>{formatDateTime(b.createdAt)}</dd>
              </dl>
              {b.cancellable ? (
                <ConfirmAction
                  name={`cancel-${b.id}`}
                  label="取消申請"
                  small
                  ariaLabel={`取消申請：${b.itemName}`}
                  title="確定要取消這筆申請嗎？"
                  consequence="取消後無法復原，時段將開放給其他人預約；如仍需使用，須重新申請。"
                  confirmLabel="確定取消"
                  fields={{ intent: "cancel", id: b.id }}
                />
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
