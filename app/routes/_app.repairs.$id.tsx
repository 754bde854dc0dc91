import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage, SelectField, TextAreaField, TextField } from "~/components/forms";
import { PhotoInput, repairLinks, RepairStatus, TicketFields } from "~/components/repairs";
import { formFailure, formValues, load } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { MAX_PHOTOS, readRepairForm, TICKET_FIELDS } from "~/utils/repairs.server";
import { requireActor } from "~/utils/session.server";

export const links = repairLinks;
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.ticket.typeName ? `${data.ticket.typeName} | ` : ""}報修 | 臺南市政府公務入口網` },
];

/** "YYYY-MM-DDTHH:mm" of the injected clock's now in Taipei, for the datetime-local default. */
const taipeiLocal = (now: Date) => new Date(now.getTime() + 8 * 3600_000).toISOString().slice(0, 16);

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const view = await load(() => context.services.repairs.ticket(actor, params.id));
  const sites = view.canEdit ? (await context.services.repairs.reportOptions(actor)).sites : [];
  return json({ ...view, sites, me: actor.name, now: taipeiLocal(context.services.clock.now()) });
}

const FAIL = (message: string, values: Record<string, string>, fields: Record<string, string> = {}) =>
  json({ ok: false as const, message, fields, values }, { status: 400 });

export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  const { form, photos, error } = await readRepairForm(request);
  const intent = String(form.get("intent") ?? "");
  const values = formValues(form, [
    "intent",
    ...TICKET_FIELDS,
    "handlerName",
    "handledAt",
    "result",
    "category",
    "reason",
  ]);
  if (error) {
    await load(() => repairs.ticket(actor, params.id)); // still a 404 for strangers
    return FAIL(error, { ...values, intent: "resubmit" }, { photos: error });
  }
  try {
    switch (intent) {
      case "handle":
        await repairs.handle(actor, params.id, values);
        return redirectWithFlash(context, "/repairs/handle", "已完成處理，已通知報修人及保管人。");
      case "return":
        await repairs.returnTicket(actor, params.id, values);
        return redirectWithFlash(context, "/repairs/handle", "已退回，已通知報修人及保管人。");
      case "resubmit":
        await repairs.resubmit(actor, params.id, values, photos);
        return redirectWithFlash(context, "/repairs", "報修已重新送出。");
      default:
        return FAIL("無法處理這個請求，請重新整理頁面。", values);
    }
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function RepairTicket() {
  const {
    ticket: t,
    photos,
    isReporter,
    isVendor,
    canHandle,
    canEdit,
    sites,
    me,
    now,
  } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state !== "idle";
  const failed = (intent: string) => (failure && failure.values.intent === intent ? failure : undefined);
  const handleFail = failed("handle");
  const returnFail = failed("return");
  const editFail = failed("resubmit");
  return (
    <div>
      <p className="back-link">
        {isVendor && !isReporter ? (
          <Link to="/repairs/handle">‹ 返回報修處理</Link>
        ) : (
          <Link to="/repairs">‹ 返回報修</Link>
        )}
      </p>
      <div className="page-head">
        <h1 className="page-title">{t.typeName}</h1>
        <RepairStatus status={t.status} />
      </div>
      <div aria-live="assertive">
        <FormMessage id="ticket-error" message={failure?.message} />
      </div>
      <section className="card" aria-labelledby="ticket-h">
        <h2 id="ticket-h">報修內容</h2>
        <dl className="facts facts-compact">
          <dt>報修單位</dt>
          <dd>{t.unitName}</dd>
          <dt>報修人員</dt>
          <dd>{t.reporterName}</dd>
          <dt>公務電話</dt>
          <dd>
            <a href={`tel:${t.phone.replace(/[^0-9+#]/g, "")}`}>{t.phone}</a>
          </dd>
          <dt>所在地點</dt>
          <dd>
            {t.siteName} {t.floor}
          </dd>
          <dt>報修日期</dt>
          <dd>{formatDateTime(t.created_at)}</dd>
          <dt>故障原因</dt>
          <dd className="prewrap">{t.description}</dd>
          <dt>退回次數</dt>
          <dd>{t.return_count}</dd>
          {t.vendorName ? (
            <>
              <dt>報修廠商</dt>
              <dd>
                {t.vendorName}
                {t.vendorPhone ? `（${t.vendorPhone}）` : ""}
              </dd>
            </>
          ) : null}
        </dl>
        {photos.length > 0 ? (
          <ul className="photo-grid" aria-label="照片">
            {photos.map((p, i) => (
              <li key={p.id}>
                <a href={`/repairs/photos/${p.id}`} target="_blank" rel="noreferrer">
                  <img src={`/repairs/photos/${p.id}`} alt={`照片 ${i + 1}`} loading="lazy" />
                </a>
              </li>
            ))}
          </ul>
        ) : null}
        {t.status === "returned" && t.return_reason ? <p className="return-note">退回原因：{t.return_reason}</p> : null}
      </section>

      {t.status === "processed" ? (
        <section className="card" aria-labelledby="result-h">
          <h2 id="result-h">處理狀況</h2>
          <dl className="facts facts-compact">
            <dt>處理人員</dt>
            <dd>{t.handler_name}</dd>
            <dt>處理時間</dt>
            <dd>{formatDateTime(t.handled_at)}</dd>
            <dt>處理結果</dt>
            <dd className="prewrap">{t.result}</dd>
            <dt>分類</dt>
            <dd>{t.category}</dd>
          </dl>
        </section>
      ) : null}

      {canHandle ? (
        <>
          <section className="card" aria-labelledby="handle-h">
            <h2 id="handle-h">報修處理狀況回報</h2>
            <Form method="post" noValidate>
              <input type="hidden" name="intent" value="handle" />
              <TextField
                label="處理人員"
                name="handlerName"
                maxLength={50}
                required
                defaultValue={handleFail?.values.handlerName ?? me}
                error={handleFail?.fields.handlerName}
              />
              <TextField
                label="處理時間"
                name="handledAt"
                type="datetime-local"
                required
                max={now}
                defaultValue={handleFail?.values.handledAt ?? now}
                error={handleFail?.fields.handledAt}
              />
              <TextAreaField
                label="處理結果"
                name="result"
                rows={3}
                maxLength={1000}
                required
                defaultValue={handleFail?.values.result ?? ""}
                error={handleFail?.fields.result}
              />
              {t.categories.length > 0 ? (
                <SelectField
                  label="分類"
                  name="category"
                  required
                  defaultValue={handleFail?.values.category ?? ""}
                  error={handleFail?.fields.category}
                  options={[{ value: "", label: "請選擇" }, ...t.categories.map((c) => ({ value: c, label: c }))]}
                />
              ) : (
                <TextField
                  label="分類"
                  name="category"
                  maxLength={50}
                  required
                  defaultValue={handleFail?.values.category ?? ""}
                  error={handleFail?.fields.category}
                />
              )}
              <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
                完成處理
              </button>
            </Form>
          </section>
          <section className="card" aria-labelledby="return-h">
            <h2 id="return-h">退回報修</h2>
            <details className="confirm" open={Boolean(returnFail)}>
              <summary className="btn btn-small btn-danger">退回給報修人</summary>
              <Form method="post" noValidate className="confirm-body">
                <input type="hidden" name="intent" value="return" />
                <TextAreaField
                  label="退回原因"
                  name="reason"
                  rows={3}
                  maxLength={500}
                  required
                  defaultValue={returnFail?.values.reason ?? ""}
                  error={returnFail?.fields.reason}
                />
                <button type="submit" className="btn btn-danger" disabled={busy}>
                  確定退回
                </button>
              </Form>
            </details>
          </section>
        </>
      ) : null}

      {canEdit ? (
        <section className="card" aria-labelledby="edit-h">
          <h2 id="edit-h">修改後重新送出</h2>
          <Form method="post" encType="multipart/form-data" noValidate>
            <input type="hidden" name="intent" value="resubmit" />
            <TicketFields
              sites={sites}
              unitName={t.unitName}
              values={
                editFail?.values ?? {
                  phone: t.phone,
                  siteId: String(t.site_id),
                  floor: t.floor,
                  description: t.description,
                }
              }
              errors={editFail?.fields ?? {}}
            />
            {photos.length < MAX_PHOTOS ? (
              <PhotoInput error={editFail?.fields.photos} room={MAX_PHOTOS - photos.length} />
            ) : null}
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              重新送出
            </button>
          </Form>
        </section>
      ) : null}
    </div>
  );
}
