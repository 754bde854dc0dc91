import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage, SelectField, TextAreaField, TextField } from "~/components/forms";
import { CheckGroup, OneTimeSecret, ssoLinks, StatusTag } from "~/components/sso";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links = ssoLinks;
export const meta: MetaFunction = () => [{ title: "應用系統服務介接申請 | 臺南市政府公務入口網" }];

const FIELDS = [
  "systemName",
  "ownerAgencyId",
  "contactName",
  "contactPhone",
  "contactEmail",
  "redirectUris",
  "postLogoutRedirectUri",
  "initiateLoginUri",
  "backchannelLogoutUri",
  "reason",
];

/** IDN-6 應用系統服務介接申請: anyone signed in applies, and follows their applications here. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const apps = context.services.ssoApplications;
  const [options, mine] = await Promise.all([apps.formOptions(), apps.mine(actor)]);
  return json({ options, mine, ownAgencyId: actor.agencyId, name: actor.name });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const apps = context.services.ssoApplications;
  const form = await readForm(request);
  const intent = form.get("intent");
  if (intent === "reveal") {
    try {
      const shown = await apps.revealSecret(actor, form.get("id"));
      return json({ ok: true as const, kind: "secret" as const, ...shown });
    } catch (e) {
      return formFailure(e, {});
    }
  }
  const values = formValues(form, FIELDS);
  const grantTypes = form.getAll("grantTypes").filter((v): v is string => typeof v === "string");
  const scopes = form.getAll("scopes").filter((v): v is string => typeof v === "string");
  try {
    await apps.apply(actor, { ...values, grantTypes, scopes });
    return redirectWithFlash(context, "/sso/apply", "已送出申請，審核結果將以電子郵件通知。");
  } catch (e) {
    return formFailure(e, { ...values, grantTypes: grantTypes.join(","), scopes: scopes.join(",") });
  }
}

export default function SsoApply() {
  const { options, mine, ownAgencyId, name } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const failure = result && !result.ok ? result : undefined;
  const secret = result && result.ok ? result : undefined;
  const revealFailure = failure && Object.keys(failure.values).length === 0 ? failure : undefined;
  const formFailureData = failure && !revealFailure ? failure : undefined;
  const values: Record<string, string> = formFailureData?.values ?? {
    ownerAgencyId: String(ownAgencyId),
    contactName: name,
    grantTypes: "authorization_code",
    scopes: "openid,profile",
  };
  const errors: Record<string, string> = formFailureData?.fields ?? {};
  return (
    <div className="console narrow">
      <h1 className="page-title">應用系統服務介接申請</h1>
      <p className="muted">
        其他系統欲使用公務入口網單一登入（OpenID Connect）或帳號驗證
        API，請填寫本申請，經系統管理者審核通過後，即可取得用戶端識別碼與密鑰。
      </p>
      {secret ? <OneTimeSecret clientId={secret.clientId} secret={secret.clientSecret} /> : null}
      <FormMessage id="reveal-error" message={revealFailure?.message} />

      <section className="card" aria-labelledby="mine-title">
        <h2 id="mine-title">我的申請</h2>
        {mine.length === 0 ? (
          <p className="empty">目前沒有申請紀錄。</p>
        ) : (
          <ul className="record-list">
            {mine.map((a) => (
              <li key={a.id}>
                <span>
                  <strong>{a.system_name}</strong>（{a.agency}） <StatusTag status={a.status} />
                </span>
                <span className="record-time">申請時間 {formatDateTime(a.created_at)}</span>
                {a.review_note ? <span>審核說明：{a.review_note}</span> : null}
                {a.client_id ? (
                  <span>
                    用戶端識別碼：<code>{a.client_id}</code>
                  </span>
                ) : null}
                {a.secretWaiting ? (
                  <Form method="post" className="sso-inline-form">
                    <input type="hidden" name="id" value={a.id} />
                    <button type="submit" name="intent" value="reveal" className="btn btn-small btn-primary">
                      檢視用戶端密鑰（僅能檢視一次）
                    </button>
                  </Form>
                ) : a.secret_viewed_at ? (
                  <span className="muted">用戶端密鑰已於 {formatDateTime(a.secret_viewed_at)} 檢視</span>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section className="card" aria-labelledby="apply-title">
        <h2 id="apply-title">新申請</h2>
        <FormMessage id="apply-error" message={formFailureData?.message} />
        <Form method="post" noValidate className="item-form">
          <TextField
            label="系統名稱"
            name="systemName"
            required
            maxLength={100}
            defaultValue={values.systemName}
            error={errors.systemName}
          />
          <SelectField
            label="權責機關"
            name="ownerAgencyId"
            required
            defaultValue={values.ownerAgencyId}
            error={errors.ownerAgencyId}
            options={[
              { value: "", label: "請選擇" },
              ...options.agencies.map((a) => ({ value: String(a.id), label: a.name })),
            ]}
          />
          <TextField
            label="聯絡人姓名"
            name="contactName"
            required
            maxLength={50}
            autoComplete="name"
            defaultValue={values.contactName}
            error={errors.contactName}
          />
          <TextField
            label="聯絡電話"
            name="contactPhone"
            type="tel"
            required
            maxLength={30}
            autoComplete="tel"
            hint="例如 06-2991111#1234"
            defaultValue={values.contactPhone}
            error={errors.contactPhone}
          />
          <TextField
            label="聯絡電子郵件"
            name="contactEmail"
            type="email"
            required
            maxLength={200}
            autoComplete="email"
            defaultValue={values.contactEmail}
            error={errors.contactEmail}
          />
          <CheckGroup
            name="grantTypes"
            legend="授權方式"
            options={options.grantTypes}
            checked={(values.grantTypes ?? "").split(",")}
            error={errors.grantTypes}
          />
          <CheckGroup
            name="scopes"
            legend="授權範圍（系統可取得的資料）"
            options={options.scopes}
            checked={(values.scopes ?? "").split(",")}
            error={errors.scopes}
          />
          <TextAreaField
            label="回呼網址（redirect URI）"
            name="redirectUris"
            rows={3}
            hint="每行一個，須為 https 網址；開發測試可用 http://localhost。僅使用用戶端憑證者免填。"
            defaultValue={values.redirectUris}
            error={errors.redirectUris}
          />
          <TextField
            label="登出後導回網址（選填）"
            name="postLogoutRedirectUri"
            type="url"
            maxLength={500}
            defaultValue={values.postLogoutRedirectUri}
            error={errors.postLogoutRedirectUri}
          />
          <TextField
            label="登入起始網址（選填，供應用程式列表轉登）"
            name="initiateLoginUri"
            type="url"
            maxLength={500}
            hint="使用者從公務入口網開啟系統時導向的網址，系統收到後應導向本網站登入（OIDC 第三方發起登入）。"
            defaultValue={values.initiateLoginUri}
            error={errors.initiateLoginUri}
          />
          <TextField
            label="登出通知網址（選填，back-channel logout）"
            name="backchannelLogoutUri"
            type="url"
            maxLength={500}
            hint="使用者登出公務入口網時，本網站會以 POST 傳送登出權杖（logout_token）至此網址，系統應結束該使用者的登入狀態。須為 https 網址，可為機關內網位址；不會跟隨轉址。"
            defaultValue={values.backchannelLogoutUri}
            error={errors.backchannelLogoutUri}
          />
          <TextAreaField
            label="申請理由"
            name="reason"
            rows={3}
            required
            maxLength={1000}
            defaultValue={values.reason}
            error={errors.reason}
          />
          <div className="actions">
            <button
              type="submit"
              name="intent"
              value="apply"
              className="btn btn-primary"
              disabled={nav.state !== "idle"}
            >
              送出申請
            </button>
          </div>
        </Form>
      </section>
    </div>
  );
}
