import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ConfirmAction } from "~/components/confirm-dialog";
import { FormMessage, TextField } from "~/components/forms";
import { methodLabels, OneTimeSecret, ssoLinks } from "~/components/sso";
import { formFailure, load, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label, loginResultLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";
import { GRANT_LABELS } from "../../bff/oidc/application-input.js";

export const links = ssoLinks;
export const meta: MetaFunction = () => [{ title: "用戶端管理 | 臺南市政府公務入口網" }];

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const admin = context.services.ssoClients;
  const [client, signIns] = await load(() =>
    Promise.all([admin.detail(actor, params.clientId), admin.recentSignIns(actor, params.clientId)]),
  );
  return json({ client, signIns });
}

/** Disable/enable, rotate the secret (shown here once), transfer sign-in settings. */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const admin = context.services.ssoClients;
  const form = await readForm(request);
  const intent = form.get("intent");
  const id = params.clientId;
  try {
    if (intent === "disable" || intent === "enable") {
      await admin.setEnabled(actor, id, intent === "enable");
      return redirectWithFlash(context, `/admin/sso-clients/${id}`, SAVED[intent]!);
    }
    if (intent === "rotate") {
      const secret = await admin.rotateSecret(actor, id);
      return json({ ok: true as const, secret, clientId: id ?? "" });
    }
    if (intent === "transfer") {
      await admin.setTransfer(actor, id, {
        initiateLoginUri: form.get("initiateLoginUri"),
        preApproved: form.get("preApproved"),
      });
      return redirectWithFlash(context, `/admin/sso-clients/${id}`, SAVED.transfer!);
    }
    if (intent === "backchannel") {
      await admin.setBackchannelLogout(actor, id, { backchannelLogoutUri: form.get("backchannelLogoutUri") });
      return redirectWithFlash(context, `/admin/sso-clients/${id}`, SAVED.backchannel!);
    }
    return json(
      {
        ok: false as const,
        message: "無法辨識的操作。",
        fields: {} as Record<string, string>,
        values: {} as Record<string, string>,
      },
      { status: 400 },
    );
  } catch (e) {
    const text = (name: string) => {
      const v = form.get(name);
      return typeof v === "string" ? v : "";
    };
    return formFailure(e, {
      initiateLoginUri: text("initiateLoginUri"),
      backchannelLogoutUri: text("backchannelLogoutUri"),
    });
  }
}

const SAVED: Record<string, string> = {
  disable: "已停用此系統，並撤銷其所有授權與權杖。",
  enable: "已啟用此系統。",
  transfer: "已儲存轉登設定。",
  backchannel: "已儲存登出通知網址。",
};

export default function SsoClient() {
  const { client, signIns } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const nav = useNavigation();
  const failure =
    result && !result.ok
      ? (result as { message: string; fields: Record<string, string>; values: Record<string, string> })
      : undefined;
  const rotated = result && result.ok ? result : undefined;
  return (
    <div className="console narrow">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin/sso-clients">用戶端管理</Link> › <span aria-current="page">{client.name}</span>
      </nav>
      <h1 className="page-title">{client.name}</h1>
      {rotated ? <OneTimeSecret clientId={rotated.clientId} secret={rotated.secret} /> : null}
      <FormMessage id="client-error" message={failure?.message} />
      <section className="card" aria-labelledby="client-title">
        <h2 id="client-title">用戶端資料</h2>
        <dl className="facts">
          <dt>用戶端識別碼</dt>
          <dd>
            <code>{client.client_id}</code>
          </dd>
          <dt>權責機關</dt>
          <dd>{client.agency ?? "—"}</dd>
          <dt>狀態</dt>
          <dd>{client.enabled ? "啟用" : `停用（${formatDateTime(client.disabled_at)}）`}</dd>
          <dt>授權方式</dt>
          <dd>{client.grant_types.map((g) => label(GRANT_LABELS, g)).join("、")}</dd>
          <dt>授權範圍</dt>
          <dd>{client.scopes.join(" ")}</dd>
          <dt>回呼網址</dt>
          <dd>
            {client.redirect_uris.length === 0 ? (
              "—"
            ) : (
              <ul className="sso-uri-list">
                {client.redirect_uris.map((u) => (
                  <li key={u}>{u}</li>
                ))}
              </ul>
            )}
          </dd>
          <dt>註冊時間</dt>
          <dd>{formatDateTime(client.created_at)}</dd>
        </dl>
        <div className="actions">
          {client.enabled ? (
            <ConfirmAction
              name="disable"
              label="停用系統"
              consequence="停用後，此系統無法再取得權杖，已核發的授權與權杖立即失效，使用者須待重新啟用後才能登入此系統。"
              fields={{ intent: "disable" }}
            />
          ) : (
            <Form method="post" className="sso-inline-form">
              <button type="submit" name="intent" value="enable" className="btn" disabled={nav.state !== "idle"}>
                啟用系統
              </button>
            </Form>
          )}
          {client.confidential ? (
            <ConfirmAction
              name="rotate"
              label="重新產生用戶端密鑰"
              consequence="舊密鑰將立即失效：使用舊密鑰的系統會無法登入，直到改用新密鑰。新密鑰僅顯示一次。"
              confirmLabel="重新產生"
              fields={{ intent: "rotate" }}
            />
          ) : null}
        </div>
        <p className="muted">
          停用後，此系統無法再取得權杖，已核發的授權與權杖立即失效。重新產生密鑰後，舊密鑰立即失效，新密鑰僅顯示一次。
        </p>
      </section>
      {client.grant_types.includes("authorization_code") ? (
        <section className="card" aria-labelledby="transfer-title">
          <h2 id="transfer-title">轉登設定（應用程式列表）</h2>
          <Form method="post" noValidate>
            <TextField
              label="登入起始網址"
              name="initiateLoginUri"
              type="url"
              maxLength={500}
              hint="使用者從應用程式列表開啟時導向此網址，並帶 iss 與 login_hint 參數。"
              defaultValue={failure?.values.initiateLoginUri ?? client.initiate_login_uri ?? ""}
              error={failure?.fields.initiateLoginUri}
            />
            <label className="choice">
              <input type="checkbox" name="preApproved" defaultChecked={client.pre_approved} />
              預先同意授權（使用者轉登時不再顯示授權確認）
            </label>
            <div className="actions">
              <button
                type="submit"
                name="intent"
                value="transfer"
                className="btn btn-primary"
                disabled={nav.state !== "idle"}
              >
                儲存轉登設定
              </button>
            </div>
          </Form>
        </section>
      ) : null}
      {client.grant_types.includes("authorization_code") ? (
        <section className="card" aria-labelledby="backchannel-title">
          <h2 id="backchannel-title">登出通知（back-channel logout）</h2>
          <Form method="post" noValidate>
            <TextField
              label="登出通知網址"
              name="backchannelLogoutUri"
              type="url"
              maxLength={500}
              hint="使用者登出時，以 POST 傳送簽章的登出權杖（含 sid）至此網址；可為機關內網位址，不跟隨轉址，逾時 5 秒。留空表示不通知。"
              defaultValue={failure?.values.backchannelLogoutUri ?? client.backchannel_logout_uri ?? ""}
              error={failure?.fields.backchannelLogoutUri}
            />
            <div className="actions">
              <button
                type="submit"
                name="intent"
                value="backchannel"
                className="btn btn-primary"
                disabled={nav.state !== "idle"}
              >
                儲存登出通知網址
              </button>
            </div>
          </Form>
        </section>
      ) : null}
      <section className="card" aria-labelledby="signins-title">
        <h2 id="signins-title">最近登入紀錄</h2>
        {signIns.length === 0 ? (
          <p className="empty">目前沒有資料</p>
        ) : (
          <div className="table-wrap">
            <table className="data-table">
              <caption className="visually-hidden">最近登入紀錄</caption>
              <thead>
                <tr>
                  <th scope="col">時間</th>
                  <th scope="col">帳號</th>
                  <th scope="col">姓名</th>
                  <th scope="col">方式</th>
                  <th scope="col">結果</th>
                  <th scope="col">IP</th>
                </tr>
              </thead>
              <tbody>
                {signIns.map((r) => (
                  <tr key={r.id}>
                    <td>{formatDateTime(r.at)}</td>
                    <td>{r.username}</td>
                    <td>{r.name ?? "—"}</td>
                    <td>{methodLabels[r.method] ?? r.method}</td>
                    <td>{label(loginResultLabels, r.result)}</td>
                    <td>{r.ip}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
