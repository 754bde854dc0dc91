import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { formFailure, readForm } from "~/utils/errors.server";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "變更密碼 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const changed = new URL(request.url).searchParams.has("changed");
  return json({
    expired: await context.services.applications.self.mustChangePassword(actor),
    changed,
    // IDN-5: whether AD (網域帳號) took the last password, and why not.
    ad: await context.services.directory.passwordStatus(actor),
  });
}

/** ACC-19 change my password; ACC-17 the page every page leads to once it has expired. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  try {
    await context.services.auth.changePassword(actor, {
      current: form.get("current"),
      next: form.get("next"),
      confirm: form.get("confirm"),
    });
  } catch (e) {
    // Passwords are never echoed back into the page.
    return formFailure(e, {});
  }
  return redirect("/me/password?changed=1");
}

export default function ChangePassword() {
  const { expired, changed, ad } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  return (
    <div className="narrow">
      <h1 className="page-title">變更密碼</h1>
      {expired ? (
        <div className="alert alert-error" role="alert">
          您的密碼已過期，請先變更密碼後再繼續使用公務入口網。
        </div>
      ) : null}
      {changed && !failure ? (
        <div className="alert alert-success" role="status">
          密碼已更新。其他裝置上的登入已登出。
        </div>
      ) : null}
      {ad?.state === "refused" ? (
        <div className="alert alert-error" role="alert">
          網域帳號（AD）未接受您最近設定的密碼：{ad.reason}
          。入口網已使用新密碼，但登入其他系統仍需舊密碼；請再設定一組符合 AD 密碼原則的密碼。
        </div>
      ) : ad?.state === "pending" ? (
        <p className="muted" role="status">
          新密碼正在同步到網域帳號（AD），完成前登入其他系統仍使用舊密碼。
        </p>
      ) : null}
      <section className="card" aria-label="變更密碼">
        <FormMessage id="password-error" message={failure?.message} />
        <Form method="post" noValidate>
          <TextField
            label="目前密碼"
            name="current"
            type="password"
            autoComplete="current-password"
            error={failure?.fields.current}
            required
          />
          <TextField
            label="新密碼"
            name="next"
            type="password"
            autoComplete="new-password"
            hint="至少 12 個字元，包含大寫字母、小寫字母、數字、符號其中三種，且不可包含帳號。"
            error={failure?.fields.next}
            required
          />
          <TextField
            label="確認新密碼"
            name="confirm"
            type="password"
            autoComplete="new-password"
            error={failure?.fields.confirm}
            required
          />
          <button type="submit" className="btn btn-primary">
            更新密碼
          </button>
        </Form>
      </section>
      {expired ? null : (
        <p>
          <Link to="/me">回我的帳號</Link>
        </p>
      )}
    </div>
  );
}
