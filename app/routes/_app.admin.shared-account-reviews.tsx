import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { reviewLabels, sharedTypeLabels } from "~/components/shared-accounts";
import { formFailure, readForm } from "~/utils/errors.server";
import { redirectBackWithFlash } from "~/utils/flash.server";
import {
  checkColumn,
  consoleLinks,
  ConsolePage,
  PagedTable,
  RadioFilter,
  ResultAlert,
  SearchForm,
} from "~/components/list-page";
import { formatDateTime } from "~/utils/format";
import { label, statusLabels } from "~/utils/labels";
import { loadList } from "~/utils/list.server";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "機關及郵件系統帳號審核 | 臺南市政府公務入口網" }];

const FILTERS = ["q", "type"] as const;

/** ACC-15: search by type, keyword, review status (default 未審核); admins only, scoped by the BFF. */
export async function loader(args: LoaderFunctionArgs) {
  const sp = new URL(args.request.url).searchParams;
  const review = sp.has("review") ? sp.get("review") : "pending";
  return json(
    await loadList(args, FILTERS, ({ actor, services, query }) =>
      services.sharedAccounts.reviews(actor, { ...query, review }),
    ),
  );
}

/** 批次審核: 通過 or 駁回, effective at once; refused with the rule the selection breaks. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const ids = form.getAll("ids").filter((v): v is string => typeof v === "string");
  const decision = form.get("decision");
  const note = typeof form.get("note") === "string" ? (form.get("note") as string) : "";
  try {
    const done = await context.services.sharedAccounts.review(actor, { ids, decision, note });
    return redirectBackWithFlash(
      request,
      context,
      `已${decision === "approve" ? "通過" : "駁回"} ${done.count} 筆申請${decision === "approve" ? "，密碼已寄至保管人信箱" : ""}`,
    );
  } catch (e) {
    return formFailure(e, { ids: ids.join(","), note });
  }
}

export default function SharedAccountReviews() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const failed = result ?? null;
  const selected = new Set((failed?.values.ids ?? "").split(",").filter(Boolean));
  const f = list.filter;
  const exportQuery = new URLSearchParams({ q: f.q, type: f.type, review: f.review });
  return (
    <ConsolePage
      trail={["帳號管理"]}
      title="機關及郵件系統帳號審核"
      actions={
        <a className="btn" href={`/admin/shared-account-reviews.xlsx?${exportQuery.toString()}`} download>
          匯出
        </a>
      }
    >
      <ResultAlert result={result} />
      <section className="card">
        <SearchForm
          label="審核查詢"
          q={f.q}
          placeholder="帳號、名稱、用途或保管人"
          clearTo="?review="
          advancedOpen
          advanced={
            <>
              <RadioFilter legend="類型" name="type" value={f.type} options={Object.entries(sharedTypeLabels)} />
              <RadioFilter legend="審核狀態" name="review" value={f.review} options={Object.entries(reviewLabels)} />
            </>
          }
        />
        <Form method="post" aria-label="批次審核">
          <PagedTable
            caption="機關及郵件系統帳號申請"
            list={list}
            rowKey={(r) => r.id}
            columns={[
              checkColumn(selected, (r: (typeof list.rows)[number]) => r.username),
              { header: "類型", cell: (r) => label(sharedTypeLabels, r.type) },
              { header: "帳號", cell: (r) => r.username },
              { header: "帳號名稱", cell: (r) => r.name },
              { header: "用途說明", cell: (r) => r.purpose },
              { header: "隸屬機關", cell: (r) => r.agencyName, show: isSysAdmin },
              { header: "保管人", cell: (r) => r.custodianName },
              { header: "帳號狀態", cell: (r) => label(statusLabels, r.status) },
              { header: "審核狀態", cell: (r) => label(reviewLabels, r.review_status) },
              { header: "申請時間", cell: (r) => formatDateTime(r.created_at) },
            ]}
          />
          <details className="disclosure" open={Boolean(failed)}>
            <summary className="btn btn-primary">批次審核</summary>
            <p className="field-hint">
              勾選的申請須帳號狀態相同、隸屬機關相同，且審核狀態皆為「未審核」。審核結果立即生效。
            </p>
            <div className="field">
              <label htmlFor="review-note">審核意見（選填）</label>
              <textarea
                id="review-note"
                name="note"
                rows={2}
                maxLength={500}
                defaultValue={failed?.values.note ?? ""}
              />
            </div>
            <div className="actions">
              <button type="submit" name="decision" value="approve" className="btn btn-primary" disabled={busy}>
                通過
              </button>
              <button type="submit" name="decision" value="reject" className="btn btn-danger" disabled={busy}>
                駁回
              </button>
            </div>
          </details>
        </Form>
      </section>
    </ConsolePage>
  );
}
