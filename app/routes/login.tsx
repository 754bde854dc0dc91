import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { PasskeyForm } from "~/components/passkey";
import applicationsStyles from "~/styles/applications.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { getActor, safeRedirect } from "~/utils/session.server";
import { withRedirect } from "~/utils/signin-links";
import { signInMeta } from "~/utils/known-device.server";
import { afterFirstFactor } from "~/utils/signin-step.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: applicationsStyles }];
export const meta: MetaFunction = () => [{ title: "登入 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await getActor(request, context);
  if (actor) return redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  return json({ passkeys: context.services.auth.passkeys.enabled });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  // The password is never sent back to the page.
  const values = formValues(form, ["username", "redirectTo", "intent"]);
  try {
    // ADR 0034: a passkey signs in without the username and password.
    if (values.intent === "passkey") {
      const step = await context.services.auth.signInWithPasskey(
        form.get("response"),
        await signInMeta(request, context),
      );
      return afterFirstFactor(request, context, step, safeRedirect(values.redirectTo));
    }
    const step = await context.services.auth.beginSignIn(
      { username: form.get("username"), password: form.get("password") },
      await signInMeta(request, context),
    );
    // IDN-2: with TOTP on, the session waits for the code (/login/totp).
    return afterFirstFactor(request, context, step, safeRedirect(values.redirectTo));
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function Login() {
  const { passkeys } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const passkeyFailed = failure?.values.intent === "passkey";
  const [params] = useSearchParams();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting";
  const values = failure?.values;
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
        <Form method="post" noValidate aria-describedby={failure ? "login-error" : undefined}>
          <FormMessage id="login-error" message={passkeyFailed ? undefined : failure?.message} />
          {!failure && params.get("ended") ? (
            <div className="alert alert-info" role="status">
              兩步驟驗證已結束（逾時或驗證碼錯誤次數過多），請重新登入。
            </div>
          ) : null}
          <input type="hidden" name="redirectTo" value={values?.redirectTo ?? params.get("redirectTo") ?? "/"} />
          <TextField
            label="帳號"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            defaultValue={values?.username}
            error={failure?.fields.username}
            required
            autoFocus
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
            {busy ? "登入中…" : "登入"}
          </button>
        </Form>
        {passkeys ? (
          <PasskeyForm
            kind="login"
            optionsUrl="/login/passkey-options"
            failure={passkeyFailed ? failure?.message : undefined}
            submitLabel="使用通行金鑰登入"
            busyLabel="等待通行金鑰…"
            hidden={{ intent: "passkey", redirectTo: values?.redirectTo ?? params.get("redirectTo") ?? "/" }}
            className="passkey-signin"
          />
        ) : null}
        <p className="login-help">
          <Link to={withRedirect("/login/temporary", values?.redirectTo ?? params.get("redirectTo"))}>
            使用臨時密碼登入
          </Link>
        </p>
        <p className="login-help">
          {/* A full page load: only that page's CSP lets the browser reach the card's signing component. */}
          <a href={withRedirect("/login/certificate", values?.redirectTo ?? params.get("redirectTo"))}>
            使用自然人憑證登入
          </a>
        </p>
        <p className="login-help">
          {/* ACC-14: shared agency and mail-system accounts sign in on their own page. */}
          <Link to="/shared-login">機關及資訊系統帳號登入專區</Link>
        </p>
        <nav aria-label="申請與協助">
          <ul className="flow-links">
            <li>
              <Link to="/forgot-password">忘記密碼</Link>
            </li>
            <li>
              <Link to="/apply">個人帳號申請</Link>
            </li>
            <li>
              <Link to="/apply/edit">修改個人帳號申請內容</Link>
            </li>
            <li>
              <Link to="/activate">開通帳號</Link>
            </li>
            <li>
              <Link to="/reactivate">個人帳號復用</Link>
            </li>
            <li>
              <Link to="/agency-admins">機關管理員查詢</Link>
            </li>
          </ul>
        </nav>
        <p className="login-help">
          忘記密碼或帳號遭鎖定時，請使用「使用臨時密碼登入」或「忘記密碼」，驗證身分後即可登入並解除鎖定；管理者鎖定的帳號請聯絡所屬機關的機關管理者。
        </p>
      </div>
    </main>
  );
}
