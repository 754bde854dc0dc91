import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect, redirectDocument } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useParams } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { PasskeyForm } from "~/components/passkey";
import { formFailure, formValues, isDomainError, readForm } from "~/utils/errors.server";
import { appendDeviceCookie, signInMeta } from "~/utils/known-device.server";
import { getActor, requestMeta, startSession } from "~/utils/session.server";
import { challengeToken, clearChallenge, commitChallenge } from "~/utils/signin-challenge.server";
import { withRedirect } from "~/utils/signin-links";

export const meta: MetaFunction = () => [{ title: "單一登入 | 臺南市政府公務入口網" }];

const EXPIRED = "登入作業已逾時或無效，請回到原系統重新登入。";

/** The pending interaction, or null when its cookie is missing or it has expired. */
async function pending(context: AppLoadContext, uid: string | undefined) {
  try {
    const it = await context.services.oidc.interaction(context.http.req, context.http.res);
    return it.uid === uid ? it : null;
  } catch {
    return null;
  }
}

/**
 * IDN-6: another system sent the user here. Sign in (unless the portal session already
 * has them, which signs them in to the system without a prompt), then consent once.
 */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const it = await pending(context, params.uid);
  if (!it)
    return json(
      { step: "expired" as const, clientName: "", claims: [], offline: false, offlineDays: 0, passkeys: false },
      { status: 400 },
    );
  if (it.prompt === "login") {
    const actor = it.forceLogin ? null : await getActor(request, context);
    if (actor) {
      const { oidc, auth } = context.services;
      await auth.recordSessionSignIn(actor, requestMeta(request, context), "sso", it.clientId);
      const to = await oidc.finishLogin(context.http.req, context.http.res, await oidc.publicIdOf(actor.accountId));
      return redirectDocument(to);
    }
    // IDN-2: the password was right and the account's TOTP code is due.
    if (await context.services.auth.pendingChallenge(await challengeToken(request, context))) {
      return json({
        step: "totp" as const,
        clientName: it.clientName,
        claims: it.claims,
        offline: false,
        offlineDays: 0,
        passkeys: false,
      });
    }
  }
  // IDN-8: a system the admins approved for everyone asks no consent (transfer sign-in).
  if (it.prompt === "consent" && it.preApproved) {
    return redirectDocument(await context.services.oidc.finishConsent(context.http.req, context.http.res));
  }
  return json({
    step: it.prompt,
    clientName: it.clientName,
    claims: it.claims,
    offline: it.offline,
    offlineDays: it.offlineDays,
    passkeys: context.services.auth.passkeys.enabled,
  });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { oidc, auth } = context.services;
  const form = await readForm(request);
  const values = formValues(form, ["username", "intent"]);
  const it = await pending(context, params.uid);
  if (!it) return json({ ok: false as const, message: EXPIRED, fields: {}, values }, { status: 400 });
  const { req, res } = context.http;
  if (values.intent === "deny") return redirectDocument(await oidc.abort(req, res));
  if (it.prompt === "login" && (values.intent === "login" || values.intent === "passkey")) {
    try {
      const meta = await signInMeta(request, context);
      // ADR 0034: a passkey instead of the username and password (recorded as passkey, for this system).
      const step =
        values.intent === "passkey"
          ? await auth.signInWithPasskey(form.get("response"), meta, { clientId: it.clientId })
          : await auth.beginSignIn({ username: form.get("username"), password: form.get("password") }, meta, {
              method: "sso",
              clientId: it.clientId,
            });
      if (step.kind === "totp") {
        return redirect(new URL(request.url).pathname, {
          headers: { "Set-Cookie": await commitChallenge(context, step.challenge) },
        });
      }
      return finishSignIn(request, context, step);
    } catch (e) {
      return formFailure(e, values);
    }
  }
  if (it.prompt === "login" && values.intent === "totp") {
    try {
      const session = await auth.completeTotp(
        await challengeToken(request, context),
        form.get("code"),
        await signInMeta(request, context),
        {
          method: "sso",
          clientId: it.clientId,
        },
      );
      return finishSignIn(request, context, session);
    } catch (e) {
      if (isDomainError(e) && e.code === "unauthenticated") {
        // The half sign-in is over (expired, locked): back to the password form.
        return json(
          {
            ok: false as const,
            message: e.message,
            fields: {} as Record<string, string>,
            values: { ...values, intent: "login" } as Record<string, string>,
          },
          { status: 401, headers: { "Set-Cookie": await clearChallenge(context) } },
        );
      }
      return formFailure(e, values);
    }
  }
  if (it.prompt === "consent" && values.intent === "consent") {
    return redirectDocument(await oidc.finishConsent(req, res));
  }
  return json({ ok: false as const, message: EXPIRED, fields: {}, values }, { status: 400 });
}

/** The portal session starts with the system's sign-in, so the next system asks nothing. */
async function finishSignIn(
  request: Request,
  context: AppLoadContext,
  session: { token: string; expiresAt: Date; accountId: number; device?: { value: string; expiresAt: Date } },
) {
  const { oidc } = context.services;
  const to = await oidc.finishLogin(context.http.req, context.http.res, await oidc.publicIdOf(session.accountId));
  const headers = new Headers();
  for (const c of await startSession(request, context, session, { keepProviderSession: true })) {
    headers.append("Set-Cookie", c);
  }
  headers.append("Set-Cookie", await clearChallenge(context));
  await appendDeviceCookie(headers, context, session.device);
  return redirectDocument(to, { headers });
}

export default function SsoInteraction() {
  const data = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const fields: Record<string, string> = failure?.fields ?? {};
  const passkeyFailed = failure?.values.intent === "passkey";
  // The other sign-in methods come back here once signed in; this page then finishes silently.
  const back = `/sso/interaction/${useParams().uid ?? ""}`;
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
        {data.step === "expired" ? (
          <p role="alert">{EXPIRED}</p>
        ) : data.step === "totp" && failure?.values.intent !== "login" && !passkeyFailed ? (
          <Form method="post" noValidate aria-describedby={failure ? "sso-error" : undefined}>
            <h2>兩步驟驗證</h2>
            <p>
              請輸入驗證器 App 上的 6 位數驗證碼，完成後將返回<strong>{data.clientName}</strong>。
            </p>
            <FormMessage id="sso-error" message={failure?.message} />
            <TextField
              label="驗證碼"
              name="code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={11}
              hint="手機不在身邊時，可輸入一組復原碼（每組限用一次）。"
              error={fields.code}
              required
              autoFocus
            />
            <button type="submit" name="intent" value="totp" className="btn btn-primary btn-block">
              驗證並登入
            </button>
          </Form>
        ) : data.step === "login" || data.step === "totp" ? (
          <>
            <Form method="post" noValidate aria-describedby={failure && !passkeyFailed ? "sso-error" : undefined}>
              <p>
                登入後將返回<strong>{data.clientName}</strong>。
              </p>
              <FormMessage id="sso-error" message={passkeyFailed ? undefined : failure?.message} />
              <TextField
                label="帳號"
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                defaultValue={failure?.values.username}
                error={fields.username}
                required
                autoFocus
              />
              <TextField
                label="密碼"
                name="password"
                type="password"
                autoComplete="current-password"
                error={fields.password}
                required
              />
              <button type="submit" name="intent" value="login" className="btn btn-primary btn-block">
                登入
              </button>
            </Form>
            {data.passkeys ? (
              <PasskeyForm
                kind="login"
                optionsUrl="/login/passkey-options"
                failure={passkeyFailed ? failure?.message : undefined}
                submitLabel="使用通行金鑰登入"
                busyLabel="等待通行金鑰…"
                hidden={{ intent: "passkey" }}
                className="passkey-signin"
              />
            ) : null}
            <p className="login-help">
              <Link to={withRedirect("/login/temporary", back)}>使用臨時密碼登入</Link>
            </p>
            <p className="login-help">
              {/* A full page load: only that page's CSP lets the browser reach the card's signing component. */}
              <a href={withRedirect("/login/certificate", back)}>使用自然人憑證登入</a>
            </p>
            <p className="login-help">
              <Link to={withRedirect("/forgot-password", back)}>忘記密碼</Link>
            </p>
          </>
        ) : (
          <Form method="post">
            <h2>授權確認</h2>
            <FormMessage id="sso-error" message={failure?.message} />
            <p>
              <strong>{data.clientName}</strong> 要求使用您的帳號資料：
            </p>
            <ul>
              {data.claims.map((c) => (
                <li key={c.claim}>{c.label}</li>
              ))}
              {data.offline ? (
                <li>
                  <strong>離線存取</strong>
                  {`：您離開或登出後，此系統仍可繼續取得上述資料，更新權杖有效 ${data.offlineDays} 天`}
                </li>
              ) : null}
            </ul>
            <p className="login-help">同意後，下次登入此系統時不會再詢問。</p>
            <button type="submit" name="intent" value="consent" className="btn btn-primary btn-block">
              同意並繼續
            </button>
            <button type="submit" name="intent" value="deny" className="btn btn-block">
              不同意
            </button>
          </Form>
        )}
      </div>
    </main>
  );
}
