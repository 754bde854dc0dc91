import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { useActionData, useLoaderData, useSearchParams } from "@remix-run/react";
import { CardSignForm } from "~/components/CardSignForm";
import certificateStyles from "~/styles/certificate.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { getActor, requestMeta, safeRedirect, startSession } from "~/utils/session.server";
import { withRedirect } from "~/utils/signin-links";

export const meta: MetaFunction = () => [{ title: "自然人憑證登入 | 臺南市政府公務入口網" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: certificateStyles }];

/** IDN-4: every visit (and every answer to a post) gets a fresh single-use challenge. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await getActor(request, context);
  if (actor) return redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  const { certificates } = context.services;
  if (!certificates.enabled) return json({ enabled: false as const });
  const challenge = await certificates.loginChallenge();
  return json(
    { enabled: true as const, challenge: { id: challenge.id, tbs: challenge.tbs }, signerUrl: certificates.signerUrl },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const values = formValues(form, ["redirectTo"]);
  try {
    const session = await context.services.certificates.signIn(
      { challengeId: form.get("challengeId"), signature: form.get("signature"), certificate: form.get("certificate") },
      requestMeta(request, context),
    );
    const headers = new Headers();
    for (const c of await startSession(request, context, session)) headers.append("Set-Cookie", c);
    return redirect(safeRedirect(values.redirectTo), { headers });
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function CertificateLogin() {
  const data = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const [params] = useSearchParams();
  const redirectTo = failure?.values.redirectTo ?? params.get("redirectTo") ?? "/";
  return (
    <main className="login" id="main">
      <div className="login-card">
        <div className="brand">
          <img src="/icons/icon-192.png" alt="" width="48" height="48" />
          <div>
            <p className="brand-city">臺南市政府公務入口網</p>
            <h1>自然人憑證登入</h1>
          </div>
        </div>
        {data.enabled ? (
          <>
            <ol className="card-steps">
              <li>將自然人憑證插入讀卡機。</li>
              <li>確認電腦已啟動「跨平台網頁元件」。</li>
              <li>輸入 PIN 碼後按「以憑證登入」。</li>
            </ol>
            <CardSignForm
              challenge={data.challenge}
              signerUrl={data.signerUrl}
              failure={failure?.message}
              submitLabel="以憑證登入"
              busyLabel="驗證中…"
              hidden={{ redirectTo }}
            />
            <p className="login-help">
              第一次使用請先以帳號密碼登入，至「我的 › 自然人憑證」綁定卡片。跨平台網頁元件可至
              <a href="https://moica.nat.gov.tw/" rel="noreferrer">
                內政部憑證管理中心
              </a>
              下載。
            </p>
          </>
        ) : (
          <div className="alert alert-info" role="status">
            本系統尚未啟用自然人憑證登入，請改用帳號密碼登入。
          </div>
        )}
        <p className="card-links">
          {/* A full page load: the sign-in page's CSP does not reach the signing component. */}
          <a href={withRedirect("/login", redirectTo)}>改用帳號密碼登入</a>
        </p>
      </div>
    </main>
  );
}
