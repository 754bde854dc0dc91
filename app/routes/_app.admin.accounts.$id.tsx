import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage } from "~/components/forms";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { label, loginPermissionLabels, roleLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "帳號狀態 | 臺南市政府公務入口網" }];

const idOf = (param: string | undefined) => (param && /^\d{1,9}$/.test(param) ? Number(param) : -1);

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const account = await load(() => context.services.accounts.getAccount(actor, idOf(params.id)));
  if (actor.role === "user") throw new Response("找不到資料", { status: 404 });
  return json({ account });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["intent", "reason", "reasonText"]);
  const id = idOf(params.id);
  try {
    if (values.intent === "unlock") await context.services.accounts.unlock(actor, id);
    else if (values.intent === "lock") await context.services.accounts.lock(actor, id);
    else if (values.intent === "disable")
      await context.services.accounts.setStatus(actor, id, {
        status: "disabled",
        reason: values.reason,
        reasonText: values.reasonText,
      });
    else if (values.intent === "enable") await context.services.accounts.setStatus(actor, id, { status: "enabled" });
    else throw new Response("不支援的操作", { status: 400 });
    return json({ ok: true as const, message: "更新成功" });
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function AccountStatus() {
  const { account } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div>
      <h1 className="page-title">帳號狀態：{account.name}</h1>
      {result?.ok ? (
        <div className="alert alert-success" role="status">
          {result.message}
        </div>
      ) : (
        <FormMessage id="status-error" message={result?.message} />
      )}
      <section className="card">
        <dl className="facts">
          <dt>帳號</dt>
          <dd>{account.username}</dd>
          <dt>權限</dt>
          <dd>{label(roleLabels, account.role)}</dd>
          <dt>隸屬機關/單位</dt>
          <dd>
            {account.agencyName} / {account.unitName}
          </dd>
          <dt>帳號狀態</dt>
          <dd>
            {label(statusLabels, account.status)}
            {account.status_reason ? `（${account.status_reason}）` : ""}
          </dd>
          <dt>帳號登入許可狀態</dt>
          <dd>{label(loginPermissionLabels, account.login_permission)}</dd>
          <dt>上次登入</dt>
          <dd>{formatDateTime(account.last_login_at) || "—"}</dd>
        </dl>
        <Form method="post">
          {account.login_permission === "locked" ? (
            <button className="btn" name="intent" value="unlock" type="submit">
              解鎖
            </button>
          ) : (
            <button className="btn btn-danger" name="intent" value="lock" type="submit">
              鎖定（立即登出此帳號）
            </button>
          )}
        </Form>
      </section>
      {account.status === "enabled" ? (
        <Form method="post" className="card">
          <h2>停用帳號</h2>
          <div className="field">
            <label htmlFor="reason">註銷原因</label>
            <select id="reason" name="reason" defaultValue={result && !result.ok ? result.values.reason : ""}>
              <option value="">請選擇</option>
              <option>離職</option>
              <option>退休</option>
              <option>留職停薪</option>
              <option>其他</option>
            </select>
          </div>
          <div className="field">
            <label htmlFor="reasonText">說明（原因為「其他」時必填）</label>
            <input
              id="reasonText"
              name="reasonText"
              defaultValue={result && !result.ok ? result.values.reasonText : ""}
            />
          </div>
          <button className="btn btn-danger" name="intent" value="disable" type="submit">
            停用
          </button>
        </Form>
      ) : (
        <Form method="post" className="card">
          <button className="btn" name="intent" value="enable" type="submit">
            啟用帳號
          </button>
        </Form>
      )}
    </div>
  );
}
