import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { formatDateTime } from "~/utils/format";
import { label, loginActionLabels, loginResultLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "我的 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const [me, records] = await Promise.all([
    context.services.accounts.myAccount(actor),
    context.services.accounts.myLoginRecords(actor, 10),
  ]);
  return json({ me, records });
}


export default function Me() {
  const { me, records } = useLoaderData<typeof loader>();
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
      <Form method="post" action="/logout" className="card">
        <button type="submit" className="btn btn-block">
          登出
        </button>
      </Form>
    </div>
  );
}
