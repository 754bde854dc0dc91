import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useNavigation, useSearchParams } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { formFailure, formValues, isDomainError, readForm } from "~/utils/errors.server";
import { appendDeviceCookie, signInMeta } from "~/utils/known-device.server";
import { safeRedirect, startSession } from "~/utils/session.server";
import { challengeToken, clearChallenge } from "~/utils/signin-challenge.server";
import { withRedirect } from "~/utils/signin-links";

export const meta: MetaFunction = () => [{ title: "兩步驟驗證 | 臺南市政府公務入口網" }];

/** IDN-2 second step. Without an open challenge there is nothing to finish: back to /login. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = await challengeToken(request, context);
  const pending = await context.services.auth.pendingChallenge(token);
  if (!pending) {
    const to = withRedirect("/login", safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
    // A challenge that was there and is gone (expired, too many wrong codes): say so on /login.
    const ended = token ? `${to}${to.includes("?") ? "&" : "?"}ended=1` : to;
    return redirect(ended, { headers: { "Set-Cookie": await clearChallenge(context) } });
  }
  return json({});
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = formValues(form, ["redirectTo"]);
  try {
    const session = await context.services.auth.completeTotp(
      await challengeToken(request, context),
      form.get("code"),
      await signInMeta(request, context),
    );
    const headers = new Headers();
    for (const c of await startSession(request, context, session)) headers.append("Set-Cookie", c);
    headers.append("Set-Cookie", await clearChallenge(context));
    await appendDeviceCookie(headers, context, session.device);
    return redirect(safeRedirect(values.redirectTo), { headers });
  } catch (e) {
    // The challenge is gone (expired, too many wrong codes, account locked): start over.
    if (isDomainError(e) && e.code === "unauthenticated") {
      return json(
        { ok: false as const, restart: true, message: e.message, fields: {} as Record<string, string>, values },
        { status: 401, headers: { "Set-Cookie": await clearChallenge(context) } },
      );
    }
    return formFailure(e, values);
  }
}

export default function TotpStep() {
  const failure = useActionData<typeof action>();
  const [params] = useSearchParams();
  const busy = useNavigation().state === "submitting";
  const redirectTo = failure?.values.redirectTo ?? params.get("redirectTo") ?? "/";
  const restart = failure && "restart" in failure;
  const recovery = params.get("recovery") === "1";
  const recoveryLink = `/login/totp?${new URLSearchParams({ redirectTo, ...(recovery ? {} : { recovery: "1" }) })}`;
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
        <h2>兩步驟驗證</h2>
        <FormMessage id="totp-error" message={failure?.message} />
        {restart ? (
          <Link className="btn btn-primary btn-block" to={withRedirect("/login", redirectTo)}>
            重新登入
          </Link>
        ) : (
          <Form method="post" noValidate aria-describedby={failure ? "totp-error" : undefined}>
            <input type="hidden" name="redirectTo" value={redirectTo} />
            {/* ADR 0034: a recovery code has letters, so it gets a text keyboard of its own. */}
            {recovery ? (
              <TextField
                key="recovery"
                label="復原碼"
                name="code"
                autoComplete="off"
                autoCapitalize="none"
                spellCheck={false}
                maxLength={11}
                hint="輸入啟用兩步驟驗證時保存的復原碼之一（如 abcde-23456），每組限用一次。"
                error={failure?.fields.code}
                required
                autoFocus
              />
            ) : (
              <TextField
                key="code"
                label="驗證碼"
                name="code"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]*"
                maxLength={7}
                hint="請開啟手機上的驗證器 App（如 Google Authenticator、Microsoft Authenticator），輸入「臺南市政府公務入口網」目前顯示的 6 位數字。"
                error={failure?.fields.code}
                required
                autoFocus
              />
            )}
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? "驗證中…" : "驗證並登入"}
            </button>
          </Form>
        )}
        {restart ? null : (
          <p className="login-help">
            <Link to={recoveryLink} replace>
              {recovery ? "改用驗證器 App 的驗證碼" : "手機不在身邊？改用復原碼"}
            </Link>
          </p>
        )}
        <p className="login-help">
          手機遺失或更換時，可用啟用時保存的復原碼登入後重新產生；沒有復原碼時，請聯絡所屬機關的機關管理者重設兩步驟驗證。
        </p>
      </div>
    </main>
  );
}
