import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ConfirmAction } from "~/components/confirm-dialog";
import { redirectBackWithFlash } from "~/utils/flash.server";
import { formFailure, formValues, isDomainError, readForm } from "~/utils/errors.server";
import { consoleLinks, ConsolePage, PagedTable, ResultAlert } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";
import { loadList } from "~/utils/list.server";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "背景作業 | 臺南市政府公務入口網" }];

/**
 * 背景作業 (issue 15 item 3): jobs that stopped retrying (after 24 h of an outage, or a
 * failure retrying cannot fix), for system admins only; anyone else gets 404 from the service.
 */
export async function loader(args: LoaderFunctionArgs) {
  const { list } = await loadList(args, [], ({ actor, services, query }) => services.jobsAdmin.listDead(actor, query));
  return json({ list });
}

/**
 * 重試 / 捨棄 one dead job; each writes an audit row and redirects back (same page) with a
 * flash. Odd input: a zh-TW message, never a 500.
 */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "id"]);
  const { jobsAdmin } = context.services;
  const back = (message: string) => redirectBackWithFlash(request, context, message);
  try {
    if (values.intent === "retry") {
      const { kindLabel } = await jobsAdmin.retry(actor, values.id);
      return back(`已重新排入這筆${kindLabel}，將立即再試一次。`);
    }
    if (values.intent === "discard") {
      const { kindLabel } = await jobsAdmin.discard(actor, values.id);
      return back(`已捨棄這筆${kindLabel}，不會再寄送。`);
    }
    // A page-scope check first, so someone else learns nothing from an odd intent either.
    await jobsAdmin.deadCount(actor);
    return json({ ok: false as const, message: "不支援的操作。" }, { status: 400 });
  } catch (e) {
    // For the admin, a job someone else already handled is a message on the page; for
    // anyone else the page does not exist (formFailure's 404).
    if (actor.role === "sys_admin" && isDomainError(e) && e.code === "not_found") {
      return json({ ok: false as const, message: e.message }, { status: 404 });
    }
    return formFailure(e, values);
  }
}

export default function BackgroundJobs() {
  const { list } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  return (
    <ConsolePage trail={["系統參數管理"]} title="背景作業">
      <ResultAlert result={result} />
      <section className="card" aria-labelledby="jobs-dead">
        <h2 id="jobs-dead">停止重試的作業</h2>
        <p className="muted">
          郵件、簡訊、推播與 AD 同步在外部服務中斷時會自動重試至少 24
          小時；仍未成功的才列在這裡。確認服務恢復後按「重試」，不需要寄送的按「捨棄」。已過期的驗證碼不會重送，請使用者重新申請。
        </p>
        {list.byKind.length > 0 ? (
          <p role="status">
            共 {list.total} 筆：{list.byKind.map((k) => `${k.label} ${k.n} 筆`).join("、")}
          </p>
        ) : null}
        <PagedTable
          caption="停止重試的背景作業"
          list={list}
          rowKey={(r) => r.id}
          empty="目前沒有停止重試的背景作業"
          columns={[
            { header: "種類", cell: (r) => r.kindLabel },
            { header: "對象", cell: (r) => r.target },
            { header: "嘗試次數", cell: (r) => r.attempts },
            { header: "最後錯誤", cell: (r) => r.lastError, className: () => "wrap" },
            { header: "建立時間", cell: (r) => formatDateTime(r.createdAt) },
            { header: "停止時間", cell: (r) => formatDateTime(r.diedAt) || "—" },
            {
              header: "操作",
              hiddenHeader: true,
              cell: (r) => (
                <Form method="post" className="actions">
                  <input type="hidden" name="id" value={r.id} />
                  <button
                    type="submit"
                    name="intent"
                    value="retry"
                    className="btn btn-small btn-primary"
                    disabled={busy}
                    aria-label={`重試：${r.kindLabel} ${r.target}`}
                  >
                    重試
                  </button>
                  <ConfirmAction
                    name={`discard-${r.id}`}
                    label="捨棄"
                    small
                    ariaLabel={`捨棄：${r.kindLabel} ${r.target}`}
                    title={`確定要捨棄這筆${r.kindLabel}嗎？`}
                    consequence={`捨棄後這筆工作（${r.target}）不會再執行，也無法再重試。`}
                    fields={{ intent: "discard", id: r.id }}
                  />
                </Form>
              ),
            },
          ]}
        />
      </section>
    </ConsolePage>
  );
}
