import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { consoleLinks } from "~/components/list-page";
import { CustodianPicker } from "~/components/shared-accounts";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "移轉保管人 | 臺南市政府公務入口網" }];

/** The holder hands a shared account to a colleague of the same agency (else 404). */
export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const q = new URL(request.url).searchParams.get("q") ?? "";
  const candidates = await load(() => context.services.sharedAccounts.custodianCandidates(actor, params.id, q));
  const mine = (await context.services.sharedAccounts.mine(actor)).find((r) => String(r.id) === params.id);
  if (!mine) throw new Response("找不到資料", { status: 404 });
  return json({ candidates, q: q.slice(0, 50), account: { username: mine.username, name: mine.name } });
}

export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["accountId", "reason"]);
  try {
    await context.services.sharedAccounts.transfer(actor, params.id, values);
    return redirectWithFlash(context, "/shared-accounts", "已移轉保管人。");
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function TransferMine() {
  const { candidates, q, account } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <div className="narrow">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/shared-accounts">我的機關及資訊系統帳號管理</Link> › <span aria-current="page">移轉保管人</span>
      </nav>
      <h1 className="page-title">
        移轉保管人：{account.name}（{account.username}）
      </h1>
      {failed ? (
        <div className="alert alert-error" role="alert">
          {failed.message}
        </div>
      ) : null}
      <section className="card">
        <CustodianPicker
          q={q}
          candidates={candidates}
          values={failed?.values ?? {}}
          errors={failed?.fields ?? {}}
          busy={busy}
        />
      </section>
    </div>
  );
}
