import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { reviewLabels, sharedTypeLabels } from "~/components/shared-accounts";
import { FormMessage } from "~/components/forms";
import { consoleLinks } from "~/components/list-page";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label, loginPermissionLabels, statusLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "我的機關及資訊系統帳號管理 | 臺南市政府公務入口網" }];

/** ACC-14 我的機關及資訊系統帳號管理: the shared accounts I hold (phone first). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({ rows: await context.services.sharedAccounts.mine(actor) });
}

/** 重設密碼: the new password goes to my mailbox, never to the screen. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "id"]);
  try {
    if (values.intent !== "reset") throw new Response("不支援的操作", { status: 400 });
    await context.services.sharedAccounts.resetPassword(actor, values.id);
    return redirectWithFlash(context, "/shared-accounts", "密碼已重設，新密碼已寄至您的信箱。");
  } catch (e) {
    if (e instanceof Response) throw e;
    return formFailure(e, values);
  }
}

export default function MySharedAccounts() {
  const { rows } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="narrow">
      <div className="page-head">
        <h1 className="page-title">我的機關及資訊系統帳號管理</h1>
        <Link to="/shared-accounts/apply" className="btn btn-primary">
          機關及資訊系統帳號申請
        </Link>
      </div>
      <FormMessage id="mine-error" message={result?.message} />
      {rows.length === 0 ? <p className="empty card">您目前沒有保管機關或資訊系統帳號。</p> : null}
      {rows.map((r) => (
        <section key={r.id} className="card" aria-labelledby={`sa-${r.id}`}>
          <h2 id={`sa-${r.id}`}>
            {r.name}（{r.username}）
          </h2>
          <dl className="facts">
            <dt>類型</dt>
            <dd>{label(sharedTypeLabels, r.type)}</dd>
            <dt>隸屬機關</dt>
            <dd>{r.agencyName}</dd>
            <dt>審核狀態</dt>
            <dd>{label(reviewLabels, r.review_status)}</dd>
            <dt>帳號狀態</dt>
            <dd>{label(statusLabels, r.status)}</dd>
            <dt>帳號登入許可狀態</dt>
            <dd>{label(loginPermissionLabels, r.login_permission)}</dd>
            <dt>申請時間</dt>
            <dd>{formatDateTime(r.created_at)}</dd>
          </dl>
          {r.status === "enabled" && r.review_status === "approved" ? (
            <div className="actions">
              <Form method="post">
                <input type="hidden" name="intent" value="reset" />
                <input type="hidden" name="id" value={r.id} />
                <button type="submit" className="btn" disabled={busy} aria-label={`重設密碼：${r.username}`}>
                  重設密碼
                </button>
              </Form>
              <Link to={`/shared-accounts/${r.id}/transfer`} className="btn" aria-label={`移轉保管人：${r.username}`}>
                移轉保管人
              </Link>
            </div>
          ) : null}
        </section>
      ))}
    </div>
  );
}
