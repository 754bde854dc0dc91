import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
import { CardSignForm } from "~/components/CardSignForm";
import certificateStyles from "~/styles/certificate.css";
import { formFailure, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "自然人憑證 | 臺南市政府公務入口網" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: certificateStyles }];

/** IDN-4: the signed-in user links their card by signing a challenge only their session can use. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const { certificates } = context.services;
  const linked = await certificates.linkedCard(actor);
  if (!certificates.enabled) return json({ enabled: false as const, linked });
  const challenge = await certificates.linkChallenge(actor);
  return json(
    {
      enabled: true as const,
      linked,
      challenge: { id: challenge.id, tbs: challenge.tbs },
      signerUrl: certificates.signerUrl,
    },
    { headers: { "Cache-Control": "no-store" } },
  );
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const { certificates } = context.services;
  try {
    if (form.get("intent") === "unlink") {
      await certificates.unlink(actor);
      return redirectWithFlash(context, "/me/certificate", "已解除自然人憑證綁定。");
    }
    const { cardNo } = await certificates.link(actor, {
      challengeId: form.get("challengeId"),
      signature: form.get("signature"),
      certificate: form.get("certificate"),
    });
    return redirectWithFlash(context, "/me/certificate", `已綁定自然人憑證（卡號 ${cardNo}），下次可用憑證登入。`);
  } catch (e) {
    return formFailure(e, {});
  }
}

export default function MyCertificate() {
  const data = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const failure = result?.message;
  return (
    <div>
      <h1 className="page-title">自然人憑證</h1>
      <section className="card" aria-labelledby="card-linked">
        <h2 id="card-linked">綁定狀態</h2>
        {data.linked ? (
          <>
            <p>{`已綁定卡號 ${data.linked}。`}</p>
            <Form method="post">
              <input type="hidden" name="intent" value="unlink" />
              <button type="submit" className="btn">
                解除綁定
              </button>
            </Form>
          </>
        ) : (
          <p className="muted">尚未綁定自然人憑證。</p>
        )}
      </section>
      <section className="card" aria-labelledby="card-link">
        <h2 id="card-link">{data.linked ? "改綁其他自然人憑證" : "綁定自然人憑證"}</h2>
        {data.enabled ? (
          <>
            <ol className="card-steps">
              <li>將自然人憑證插入讀卡機，並啟動「跨平台網頁元件」。</li>
              <li>輸入 PIN 碼後按「綁定自然人憑證」，完成後即可用憑證登入。</li>
            </ol>
            <CardSignForm
              challenge={data.challenge}
              signerUrl={data.signerUrl}
              failure={failure}
              submitLabel="綁定自然人憑證"
              busyLabel="綁定中…"
            />
          </>
        ) : (
          <p className="muted">本系統尚未啟用自然人憑證登入。</p>
        )}
      </section>
    </div>
  );
}
