import type { ActionFunctionArgs, AppLoadContext, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirectDocument } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage, TextField } from "~/components/forms";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { commitSession, getActor, requestMeta } from "~/utils/session.server";

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
  if (!it) return json({ step: "expired" as const, clientName: "", claims: [] }, { status: 400 });
  if (it.prompt === "login") {
    const actor = it.forceLogin ? null : await getActor(request, context);
    if (actor) {
      const { oidc, auth } = context.services;
      await auth.recordSessionSignIn(actor, requestMeta(request, context), "sso");
      const to = await oidc.finishLogin(context.http.req, context.http.res, await oidc.publicIdOf(actor.accountId));
      return redirectDocument(to);
    }
  }
  return json({ step: it.prompt, clientName: it.clientName, claims: it.claims });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const { oidc, auth } = context.services;
  const form = await readForm(request);
  const values = formValues(form, ["username", "intent"]);
  const it = await pending(context, params.uid);
  if (!it) return json({ ok: false as const, message: EXPIRED, fields: {}, values }, { status: 400 });
  const { req, res } = context.http;
  if (values.intent === "deny") return redirectDocument(await oidc.abort(req, res));
  if (it.prompt === "login" && values.intent === "login") {
    try {
      const session = await auth.signIn(
        { username: form.get("username"), password: form.get("password") },
        requestMeta(request, context),
        { method: "sso" },
      );
      const to = await oidc.finishLogin(req, res, await oidc.publicIdOf(session.accountId));
      return redirectDocument(to, {
        headers: { "Set-Cookie": await commitSession(context, session.token, session.expiresAt) },
      });
    } catch (e) {
      return formFailure(e, values);
    }
  }
  if (it.prompt === "consent" && values.intent === "consent") {
    return redirectDocument(await oidc.finishConsent(req, res));
  }
  return json({ ok: false as const, message: EXPIRED, fields: {}, values }, { status: 400 });
}

export default function SsoInteraction() {
  const data = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const fields: Record<string, string> = failure?.fields ?? {};
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
        ) : data.step === "login" ? (
          <Form method="post" noValidate aria-describedby={failure ? "sso-error" : undefined}>
            <p>
              登入後將返回<strong>{data.clientName}</strong>。
            </p>
            <FormMessage id="sso-error" message={failure?.message} />
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
