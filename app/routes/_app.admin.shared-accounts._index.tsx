import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { consoleLinks, ConsolePage, PagedTable, RadioFilter, SearchForm } from "~/components/list-page";
import { reviewLabels, sharedTypeLabels } from "~/components/shared-accounts";
import { label, loginPermissionLabels, statusLabels } from "~/utils/labels";
import { loadList } from "~/utils/list.server";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "機關及郵件系統帳號管理 | 臺南市政府公務入口網" }];

const FILTERS = ["q", "type", "status", "permission"] as const;

/** ACC-14 admin list: keyword, type, status, login permission; scoped by the BFF (others 404). */
export async function loader(args: LoaderFunctionArgs) {
  return json(
    await loadList(args, FILTERS, ({ actor, services, query }) => services.sharedAccounts.list(actor, query)),
  );
}

export default function SharedAccountList() {
  const { list, isSysAdmin } = useLoaderData<typeof loader>();
  const f = list.filter;
  const exportQuery = new URLSearchParams({ q: f.q, type: f.type, status: f.status, permission: f.permission });
  return (
    <ConsolePage
      trail={["帳號管理"]}
      title="機關及郵件系統帳號管理"
      actions={
        <div className="actions">
          <Link to="/admin/shared-account-reviews" className="btn">
            機關及郵件系統帳號審核
          </Link>
          <a className="btn" href={`/admin/shared-accounts.xlsx?${exportQuery.toString()}`} download>
            匯出
          </a>
        </div>
      }
    >
      <section className="card">
        <SearchForm
          label="帳號查詢"
          q={f.q}
          placeholder="帳號、名稱、用途或保管人"
          advancedOpen={Boolean(f.type || f.status || f.permission)}
          advanced={
            <>
              <RadioFilter legend="類型" name="type" value={f.type} options={Object.entries(sharedTypeLabels)} />
              <RadioFilter legend="帳號狀態" name="status" value={f.status} options={Object.entries(statusLabels)} />
              <RadioFilter
                legend="帳號登入許可狀態"
                name="permission"
                value={f.permission}
                options={Object.entries(loginPermissionLabels)}
              />
            </>
          }
        />
        <PagedTable
          caption="機關及郵件系統帳號"
          list={list}
          rowKey={(r) => r.id}
          columns={[
            { header: "類型", cell: (r) => label(sharedTypeLabels, r.type) },
            { header: "帳號", cell: (r) => r.username },
            { header: "帳號名稱", cell: (r) => r.name },
            { header: "隸屬機關", cell: (r) => r.agencyName, show: isSysAdmin },
            { header: "保管人", cell: (r) => r.custodianName },
            { header: "帳號狀態", cell: (r) => label(statusLabels, r.status) },
            { header: "帳號登入許可狀態", cell: (r) => label(loginPermissionLabels, r.login_permission) },
            { header: "審核狀態", cell: (r) => label(reviewLabels, r.review_status) },
            {
              header: "動作",
              cell: (r) => (
                <Link
                  to={`/admin/shared-accounts/${r.id}`}
                  className="btn btn-small"
                  aria-label={`詳細：${r.username}`}
                >
                  詳細
                </Link>
              ),
            },
          ]}
        />
      </section>
    </ConsolePage>
  );
}
