import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage, TextAreaField } from "~/components/forms";
import { StatusTag, ssoLinks } from "~/components/sso";
import { redirectWithFlash } from "~/utils/flash.server";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links = ssoLinks;
export const meta: MetaFunction = () => [{ title: "介接申請審核 | 臺南市政府公務入口網" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const apps = context.services.ssoApplications;
  const [app, options] = await Promise.all([load(() => apps.adminDetail(actor, params.id)), apps.formOptions()]);
  return json({ app, options });
}

/** 通過 registers the client; 駁回 needs a note. Both mail the applicant and are audited. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["decision", "note"]);
  try {
    const r = await context.services.ssoApplications.decide(actor, params.id, {
      decision: values.decision,
      note: values.note,
    });
    return redirectWithFlash(
      context,
      "/admin/sso-applications?status=pending",
      r.status === "approved" ? "已通過申請並註冊用戶端，已通知申請人。" : "已駁回申請，已通知申請人。",
    );
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function SsoApplicationReview() {
  const { app, options } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const nav = useNavigation();
  const label = (list: { value: string; label: string }[], v: string) => list.find((o) => o.value === v)?.label ?? v;
  return (
    <div className="console narrow">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin/sso-applications">介接申請審核</Link> › <span aria-current="page">{app.system_name}</span>
      </nav>
      <h1 className="page-title">
        {app.system_name} <StatusTag status={app.status} />
      </h1>
      <section className="card" aria-labelledby="detail-title">
        <h2 id="detail-title">申請內容</h2>
        <dl className="facts">
          <dt>權責機關</dt>
          <dd>{app.agency}</dd>
          <dt>申請人</dt>
          <dd>
            {app.applicant}（{app.applicantUsername}）
          </dd>
          <dt>申請時間</dt>
          <dd>{formatDateTime(app.created_at)}</dd>
          <dt>聯絡人</dt>
          <dd>
            {app.contact_name}・{app.contact_phone}・{app.contact_email}
          </dd>
          <dt>授權方式</dt>
          <dd>{app.grant_types.map((g) => label(options.grantTypes, g)).join("、")}</dd>
          <dt>授權範圍</dt>
          <dd>{app.scopes.map((s) => label(options.scopes, s)).join("、")}</dd>
          <dt>回呼網址</dt>
          <dd>
            {app.redirect_uris.length === 0 ? (
              "—"
            ) : (
              <ul className="sso-uri-list">
                {app.redirect_uris.map((u) => (
                  <li key={u}>{u}</li>
                ))}
              </ul>
            )}
          </dd>
          <dt>登出後導回網址</dt>
          <dd>{app.post_logout_redirect_uri ?? "—"}</dd>
          <dt>登入起始網址</dt>
          <dd>{app.initiate_login_uri ?? "—"}</dd>
          <dt>登出通知網址</dt>
          <dd>{app.backchannel_logout_uri ?? "—"}</dd>
          <dt>申請理由</dt>
          <dd>{app.reason}</dd>
          {app.status !== "pending" ? (
            <>
              <dt>審核</dt>
              <dd>
                {app.reviewer}・{formatDateTime(app.reviewed_at)}
              </dd>
              <dt>審核說明</dt>
              <dd>{app.review_note || "—"}</dd>
              {app.client_id ? (
                <>
                  <dt>用戶端</dt>
                  <dd>
                    <Link to={`/admin/sso-clients/${app.client_id}`}>{app.client_id}</Link>
                  </dd>
                </>
              ) : null}
            </>
          ) : null}
        </dl>
      </section>
      {app.status === "pending" ? (
        <section className="card" aria-labelledby="decide-title">
          <h2 id="decide-title">審核</h2>
          <FormMessage id="decide-error" message={failure?.message} />
          <Form method="post" noValidate>
            <TextAreaField
              label="審核說明（駁回時必填）"
              name="note"
              rows={3}
              maxLength={500}
              defaultValue={failure?.values.note}
              error={failure?.fields.note}
            />
            <p className="muted">通過後將註冊用戶端，密鑰僅由申請人於入口網檢視一次。</p>
            <div className="actions">
              <button
                type="submit"
                name="decision"
                value="approve"
                className="btn btn-primary"
                disabled={nav.state !== "idle"}
              >
                通過
              </button>
              <button
                type="submit"
                name="decision"
                value="reject"
                className="btn btn-danger"
                disabled={nav.state !== "idle"}
              >
                駁回
              </button>
            </div>
          </Form>
        </section>
      ) : null}
    </div>
  );
}
