import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useActionData, useLoaderData } from "@remix-run/react";
import { ConfirmAction } from "~/components/confirm-dialog";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import {
  consoleLinks,
  ConsolePage,
  DateRange,
  PagedTable,
  RadioFilter,
  ResultAlert,
  SearchForm,
} from "~/components/list-page";
import { formatDateTime } from "~/utils/format";
import { loadList } from "~/utils/list.server";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "預約管理作業 | 臺南市政府公務入口網" }];

const FILTERS = ["q", "type", "state", "from", "to"] as const;

/** ACC-16 預約管理作業: admins only (others 404); the BFF scopes by agency and pages in SQL. */
export async function loader(args: LoaderFunctionArgs) {
  return json(await loadList(args, FILTERS, ({ actor, services, query }) => services.scheduled.list(actor, query)));
}

/** 取消預約: only a pending one; another agency's id is a 404. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "id"]);
  try {
    if (values.intent !== "cancel") throw new Response("不支援的操作", { status: 400 });
    await context.services.scheduled.cancel(actor, values.id);
    return redirectBackWithFlash(request, context, "已取消預約");
  } catch (e) {
    if (e instanceof Response) throw e;
    return formFailure(e, values);
  }
}

export default function ScheduledChanges() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const f = list.filter;
  const exportQuery = new URLSearchParams({ q: f.q, type: f.type, state: f.state, from: f.from, to: f.to });
  return (
    <ConsolePage
      trail={["帳號管理"]}
      title="預約管理作業"
      actions={
        <a className="btn" href={`/admin/scheduled.xlsx?${exportQuery.toString()}`} download>
          匯出
        </a>
      }
    >
      <ResultAlert result={result} />
      <ResultAlert result={list.notices.length > 0 ? { ok: false, message: list.notices.join(" ") } : null} />
      <section className="card">
        <SearchForm
          label="預約查詢"
          q={f.q}
          placeholder="帳號或姓名"
          extra={<DateRange label="預約執行時間" from={f.from} to={f.to} />}
          advancedOpen={Boolean(f.type || f.state)}
          advanced={
            <>
              <RadioFilter
                legend="預約類型"
                name="type"
                value={f.type}
                options={list.types.map((t) => [t.value, t.label])}
              />
              <RadioFilter
                legend="狀態"
                name="state"
                value={f.state}
                options={list.states.map((s) => [s.value, s.label])}
              />
            </>
          }
        />
        <PagedTable
          caption="預約案件"
          list={list}
          rowKey={(r) => r.id}
          columns={[
            { header: "預約類型", cell: (r) => r.typeLabel },
            { header: "帳號", cell: (r) => r.targetUsername },
            { header: "姓名", cell: (r) => r.targetName },
            { header: "隸屬機關", cell: (r) => r.agencyName, show: isSysAdmin },
            { header: "預約執行時間", cell: (r) => formatDateTime(r.execute_at) },
            { header: "狀態", cell: (r) => r.stateLabel },
            { header: "執行結果", cell: (r) => r.result ?? "" },
            { header: "預約人", cell: (r) => r.createdByName ?? "" },
            {
              header: "動作",
              cell: (r) =>
                r.state === "pending" ? (
                  <ConfirmAction
                    name={`cancel-${r.id}`}
                    label="取消預約"
                    small
                    ariaLabel={`取消預約：${r.typeLabel} ${r.targetName}`}
                    title={`確定要取消預約「${r.typeLabel}：${r.targetName}」嗎？`}
                    consequence={`這項異動將不會在 ${formatDateTime(r.execute_at)} 執行；如仍需要，須重新預約。`}
                    fields={{ intent: "cancel", id: r.id }}
                  />
                ) : null,
            },
          ]}
        />
      </section>
    </ConsolePage>
  );
}
