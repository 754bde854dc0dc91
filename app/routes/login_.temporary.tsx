import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import signinStyles from "~/styles/signin.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { getActor, safeRedirect } from "~/utils/session.server";
import { withRedirect } from "~/utils/signin-links";
import { signInMeta } from "~/utils/known-device.server";
import { afterFirstFactor } from "~/utils/signin-step.server";

export const meta: MetaFunction = () => [{ title: "臨時密碼登入 | 臺南市政府公務入口網" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: signinStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await getActor(request, context);
  if (actor) return redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  return json({});
}

/**
 * IDN-3: ask for a temporary password (the answer never says whether the account exists),
 * then sign in with it like a password: lockout, login records, and TOTP when it is on.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = formValues(form, ["intent", "username", "channel", "redirectTo"]);
  const { auth } = context.services;
  try {
    if (values.intent === "request") {
      const message = await auth.temporaryPasswords.request({ username: values.username, channel: values.channel });
      return json({ ok: true as const, message, values });
    }
    const step = await auth.signInWithTemporaryPassword(
      { username: form.get("username"), password: form.get("password") },
      await signInMeta(request, context),
    );
    return afterFirstFactor(request, context, step, safeRedirect(values.redirectTo));
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function TemporaryPasswordSignIn() {
  const result = useActionData<typeof action>();
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" ? navigation.formData?.get("intent") : null;
  const values = result?.values;
  const failure = result && !result.ok ? result : undefined;
  const requestFailed = failure && values?.intent === "request";
  const signInFailed = failure && values?.intent !== "request";
  const redirectTo = values?.redirectTo ?? params.get("redirectTo") ?? "/";
  return (
    <main className="login" id="main">
      <div className="login-card">
        <div className="brand">
          <img src="/icons/icon-192.png" alt="" width="48" height="48" />
          <div>
            <p className="brand-city">臺南市政府</p>
            <h1>公務入口網</h1>
          </div>
        </div>
        <h2 id="tp-request">取得臨時密碼</h2>
        {result?.ok ? (
          <div className="alert alert-success" role="status">
            {result.message}
          </div>
        ) : (
          <FormMessage id="tp-request-error" message={requestFailed ? failure.message : undefined} />
        )}
        <Form method="post" noValidate aria-labelledby="tp-request">
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <TextField
            label="帳號"
            name="username"
            id="tp-username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            defaultValue={values?.username}
            error={requestFailed ? failure.fields.username : undefined}
            required
          />
          <fieldset
            className="method-choice"
            aria-describedby={requestFailed && failure.fields.channel ? "tp-channel-error" : undefined}
          >
            <legend>寄送方式</legend>
            <label>
              <input type="radio" name="channel" value="sms" defaultChecked={values?.channel !== "mail"} />
              簡訊（已驗證的手機）
            </label>
            <label>
              <input type="radio" name="channel" value="mail" defaultChecked={values?.channel === "mail"} />
              電子郵件（備用信箱）
            </label>
            {requestFailed && failure.fields.channel ? (
              <p className="field-error" id="tp-channel-error">
                {failure.fields.channel}
              </p>
            ) : null}
          </fieldset>
          <button type="submit" name="intent" value="request" className="btn btn-block" disabled={busy === "request"}>
            {busy === "request" ? "寄送中…" : "寄送臨時密碼"}
          </button>
        </Form>
        <hr className="signin-divider" />
        <h2 id="tp-signin">使用臨時密碼登入</h2>
        <FormMessage id="tp-signin-error" message={signInFailed ? failure.message : undefined} />
        <Form method="post" noValidate aria-labelledby="tp-signin">
          <input type="hidden" name="redirectTo" value={redirectTo} />
          <TextField
            label="帳號"
            name="username"
            id="tp-signin-username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            defaultValue={values?.username}
            error={signInFailed ? failure.fields.username : undefined}
            required
          />
          <TextField
            label="臨時密碼"
            name="password"
            id="tp-password"
            autoComplete="one-time-code"
            autoCapitalize="none"
            spellCheck={false}
            hint="臨時密碼限用一次，逾時失效；登入後請至「我的 › 變更密碼」設定新密碼。"
            error={signInFailed ? failure.fields.password : undefined}
            required
          />
          <button
            type="submit"
            name="intent"
            value="signin"
            className="btn btn-primary btn-block"
            disabled={busy === "signin"}
          >
            {busy === "signin" ? "登入中…" : "登入"}
          </button>
        </Form>
        <p className="login-help">
          <Link to={withRedirect("/login", redirectTo)}>回到帳號密碼登入</Link>
        </p>
      </div>
    </main>
  );
}
