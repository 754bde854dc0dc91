import type { ActionFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { appendDeviceCookie, signInMeta } from "~/utils/known-device.server";

export const meta: MetaFunction = () => [{ title: "機關及資訊系統帳號登入專區 | 臺南市政府公務入口網" }];

/**
 * 機關及資訊系統帳號登入專區 (ACC-14): checks a shared account's password with lockout and a
 * login record (method shared_account). It opens no portal session: no person stands behind it.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = formValues(form, ["username"]);
  try {
    const who = await context.services.sharedAccounts.sharedSignIn(
      { username: form.get("username"), password: form.get("password") },
      await signInMeta(request, context, "shared"),
    );
    const headers = new Headers();
    await appendDeviceCookie(headers, context, who.device, "shared");
    return json({ ok: true as const, message: `「${who.name}（${who.username}）」帳號密碼驗證成功。` }, { headers });
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function SharedLogin() {
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const failure = result && !result.ok ? result : null;
  return (
    <main className="login" id="main">
      <div className="login-card">
        <div className="brand">
          <img src="/icons/icon-192.png" alt="" width="48" height="48" />
          <div>
            <p className="brand-city">臺南市政府公務入口網</p>
            <h1>機關及資訊系統帳號登入專區</h1>
          </div>
        </div>
        {result?.ok ? (
          <div className="alert alert-success" role="status">
            {result.message}
          </div>
        ) : null}
        <Form method="post" noValidate aria-describedby={failure ? "shared-login-error" : undefined}>
          <FormMessage id="shared-login-error" message={failure?.message} />
          <TextField
            label="機關或資訊系統帳號"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            defaultValue={failure?.values.username}
            error={failure?.fields.username}
            required
          />
          <TextField
            label="密碼"
            name="password"
            type="password"
            autoComplete="current-password"
            error={failure?.fields.password}
            required
          />
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? "驗證中…" : "登入"}
          </button>
        </Form>
        <p className="login-help">
          <Link to="/login">個人帳號登入</Link>
        </p>
      </div>
    </main>
  );
}
