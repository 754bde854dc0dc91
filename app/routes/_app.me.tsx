import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useOutlet } from "@remix-run/react";
import { PasswordChangeForm } from "~/components/PasswordChangeForm";
import { changePasswordAction } from "~/utils/password.server";
import { formatDateTime } from "~/utils/format";
import { label, loginActionLabels, loginResultLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "我的 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const [me, records, hasConsole] = await Promise.all([
    context.services.accounts.myAccount(actor),
    context.services.accounts.myLoginRecords(actor, 10),
    context.services.console.hasAny(actor),
  ]);
  return json({ me, records, hasConsole });
}

export const action = (args: ActionFunctionArgs) => changePasswordAction(args, "/me");

export default function Me() {
  const { me, records, hasConsole } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  // /me/password, /me/profile … render alone, not under this page.
  const outlet = useOutlet();
  if (outlet) return outlet;
  return (
    <div>
      <h1 className="page-title">我的帳號</h1>
      <section className="card" aria-labelledby="me-data">
        <h2 id="me-data">帳號資料</h2>
        <dl className="facts">
          <dt>帳號</dt>
          <dd>{me.username}</dd>
          <dt>姓名</dt>
          <dd>{me.name}</dd>
          <dt>職稱</dt>
          <dd>{me.title || "—"}</dd>
          <dt>隸屬機關/單位</dt>
          <dd>
            {me.agencyName}
            {me.unitName !== me.agencyName ? ` / ${me.unitName}` : ""}
          </dd>
          <dt>公務電話</dt>
          <dd>
            {me.office_phone || "—"}
            {me.office_ext ? ` 分機 ${me.office_ext}` : ""}
          </dd>
          <dt>帳號狀態</dt>
          <dd>{label(statusLabels, me.status)}</dd>
          <dt>密碼到期日</dt>
          <dd>{me.passwordExpiresAt ? formatDateTime(me.passwordExpiresAt) : "—"}</dd>
          <dt>上次登入</dt>
          <dd>{formatDateTime(me.last_login_at) || "—"}</dd>
        </dl>
      </section>
      {/* Account, item and other admin functions live in the 管理主控台 (ADR 20). */}
      {hasConsole ? (
        <section className="card" aria-labelledby="me-console">
          <h2 id="me-console">管理主控台</h2>
          <ul className="quick-links">
            <li>
              <Link to="/admin">管理主控台（您可使用的管理功能）</Link>
            </li>
          </ul>
        </section>
      ) : null}
      <section className="card" aria-labelledby="me-settings">
        <h2 id="me-settings">設定</h2>
        <ul className="quick-links">
          <li>
            <Link to="/me/profile">修改個人資料</Link>
          </li>
          <li>
            <Link to="/me/password">變更密碼</Link>
          </li>
          <li>
            <Link to="/me/records">帳號登入紀錄及使用紀錄</Link>
          </li>
          <li>
            <Link to="/me/applications">我的帳號申請（機關管理者、機關異動）</Link>
          </li>
          <li>
            <Link to="/shared-accounts">我的機關及資訊系統帳號管理</Link>
          </li>
          <li>
            <Link to="/me/notifications">通知設定</Link>
          </li>
          <li>
            {/* reloadDocument: that page's CSP is the one that reaches the card's signing component. */}
            <Link to="/me/certificate" reloadDocument>
              自然人憑證
            </Link>
          </li>
          <li>
            <Link to="/me/security">登入安全設定（兩步驟驗證、手機驗證）</Link>
          </li>
          <li>
            <Link to="/me/sessions">登入裝置與授權（登入中的裝置、已授權的系統）</Link>
          </li>
        </ul>
      </section>
      <section className="card" aria-labelledby="me-logins">
        <h2 id="me-logins">帳號登入紀錄</h2>
        {records.length === 0 ? (
          <p className="empty">目前沒有資料</p>
        ) : (
          <ul className="record-list">
            {records.map((r) => (
              <li key={r.id}>
                <span className="record-time">{formatDateTime(r.at)}</span>
                <span>
                  {label(loginActionLabels, r.action)}・{label(loginResultLabels, r.result)}
                </span>
                <span className="muted">{r.ip}</span>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="card" aria-labelledby="me-password">
        <h2 id="me-password">變更密碼</h2>
        <PasswordChangeForm failure={failure} />
      </section>
      <Form method="post" action="/logout" className="card">
        <button type="submit" className="btn btn-block">
          登出
        </button>
      </Form>
    </div>
  );
}
