import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { DisableReasonFields, EffectiveTime, FixLinks } from "~/components/accounts-console";
import {
  checkColumn,
  consoleLinks,
  ConsolePage,
  PagedTable,
  RadioFilter,
  ResultAlert,
  SearchForm,
} from "~/components/list-page";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label, loginPermissionLabels, roleLabels, statusLabels } from "~/utils/labels";
import { loadList } from "~/utils/list.server";
import { requireActor } from "~/utils/session.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "個人公務帳號管理 | 臺南市政府公務入口網" }];

const FILTERS = ["q", "role", "status", "perm"] as const;

/** ACC-10 個人公務帳號管理: admins only (anyone else: 404), scoped by the BFF. */
export async function loader(args: LoaderFunctionArgs) {
  return json(
    await loadList(args, FILTERS, ({ actor, services, query }) => {
      if (actor.role === "user") throw new Response("找不到資料", { status: 404 });
      return services.accounts.list(actor, query);
    }),
  );
}

/** ACC-11 批次停用: done, the list comes back (same filters and page) with a flash. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["reason", "reasonText", "effective", "executeAt"]);
  const ids = form.getAll("ids").filter((v): v is string => typeof v === "string");
  try {
    const done = await context.services.accounts.batchDisable(actor, { ids, ...values });
    const back = new URL(request.url).searchParams;
    back.delete("index");
    return redirectWithFlash(
      context,
      back.size > 0 ? `/admin/accounts?${back.toString()}` : "/admin/accounts",
      done.scheduledAt
        ? `已預約於 ${formatDateTime(done.scheduledAt)} 停用 ${done.count} 個帳號`
        : `已停用 ${done.count} 個帳號`,
    );
  } catch (e) {
    return formFailure(e, { ...values, ids: ids.join(",") });
  }
}

const roleOptions = Object.entries(roleLabels);
const statusOptions = Object.entries(statusLabels);
const permOptions = Object.entries(loginPermissionLabels);

export default function AccountList() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>() ?? null;
  const busy = useNavigation().state === "submitting";
  const f = list.filter;
  const advanced = Boolean(f.role || f.status || f.perm);
  const selected = new Set((failed?.values.ids ?? "").split(",").filter(Boolean));
  const exportQuery = new URLSearchParams({ q: f.q, role: f.role, status: f.status, perm: f.perm });
  return (
    <ConsolePage
      trail={["帳號管理"]}
      title="個人公務帳號管理"
      actions={
        <a className="btn" href={`/admin/accounts.xlsx?${exportQuery.toString()}`} download>
          匯出
        </a>
      }
    >
      <ResultAlert result={failed} id="batch-error">
        <FixLinks fields={failed?.fields ?? {}} />
      </ResultAlert>
      <section className="card">
        <SearchForm
          label="帳號查詢"
          q={f.q}
          placeholder="帳號、姓名、職稱或單位"
          advancedOpen={advanced}
          advanced={
            <>
              <RadioFilter legend="權限" name="role" value={f.role} options={roleOptions} />
              <RadioFilter legend="帳號狀態" name="status" value={f.status} options={statusOptions} />
              <RadioFilter legend="帳號登入許可狀態" name="perm" value={f.perm} options={permOptions} />
            </>
          }
        />
        <Form method="post" aria-label="批次停用">
          <PagedTable
            caption="個人公務帳號"
            list={list}
            rowKey={(r) => r.id}
            columns={[
              checkColumn(selected, (r: (typeof list.rows)[number]) => `${r.name}（${r.username}）`),
              { header: "權限", cell: (r) => label(roleLabels, r.role) },
              { header: "帳號", cell: (r) => r.username },
              { header: "姓名", cell: (r) => r.name },
              { header: "職稱", cell: (r) => r.title },
              { header: "隸屬機關/單位", cell: (r) => `${isSysAdmin ? `${r.agencyName} / ` : ""}${r.unitName}` },
              { header: "帳號狀態", cell: (r) => label(statusLabels, r.status) },
              { header: "帳號登入許可狀態", cell: (r) => label(loginPermissionLabels, r.login_permission) },
              {
                header: "動作",
                cell: (r) => (
                  <Link to={`/admin/accounts/${r.id}`} className="btn btn-small" aria-label={`詳細：${r.name}`}>
                    詳細
                  </Link>
                ),
              },
            ]}
          />
          <details className="disclosure danger-zone" open={Boolean(failed)}>
            <summary className="btn btn-danger">批次停用</summary>
            <p className="field-hint">
              勾選的帳號須權限、帳號狀態、隸屬機關及公務郵件使用狀態相同，且沒有未審核的申請；無法同時停用不同機關的帳號。
            </p>
            <DisableReasonFields values={failed?.values ?? {}} errors={failed?.fields ?? {}} idPrefix="batch" />
            <EffectiveTime values={failed?.values ?? {}} errors={failed?.fields ?? {}} idPrefix="batch" />
            <button type="submit" className="btn btn-danger" disabled={busy}>
              儲存
            </button>
          </details>
        </Form>
      </section>
    </ConsolePage>
  );
}
