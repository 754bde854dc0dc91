import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ConsolePage, PagedTable, SearchForm } from "~/components/list-page";
import consoleStyles from "~/styles/console.css";
import repairStyles from "~/styles/repairs.css";
import { loadList } from "~/utils/list.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: repairStyles },
];
export const meta: MetaFunction = () => [{ title: "報修類型管理 | 臺南市政府公務入口網" }];

const scopeText: Record<string, string> = { all: "全府", own: "僅限機關同仁", listed: "機關同仁及其他機關" };

/** 報修類型管理: for admins and custodians of a type (others: 404); search by type. */
export async function loader(args: LoaderFunctionArgs) {
  let canCreate = false;
  const { list } = await loadList(args, ["q"], async ({ actor, services, query }) => {
    const access = await services.repairs.consoleAccess(actor);
    if (!access.manage) throw new Response("找不到資料", { status: 404 });
    canCreate = access.create;
    return services.repairs.types(actor, query);
  });
  return json({ list, canCreate });
}

export default function RepairTypes() {
  const { list, canCreate } = useLoaderData<typeof loader>();
  return (
    <ConsolePage
      trail={[{ to: "/admin", label: "管理主控台" }]}
      title="報修類型管理"
      actions={
        canCreate ? (
          <Link to="/admin/repair-types/new" className="btn btn-primary">
            新增報修類型
          </Link>
        ) : null
      }
    >
      <section className="card">
        <SearchForm q={list.q} qLabel="報修類型" placeholder="以報修類型查詢" />
        <PagedTable
          caption="報修類型"
          list={list}
          rowKey={(r) => r.id}
          columns={[
            { header: "報修類型", cell: (r) => r.name },
            { header: "管理機關", cell: (r) => r.agencyName },
            { header: "允許報修機關", cell: (r) => scopeText[r.report_scope] },
            { header: "報修廠商", cell: (r) => r.vendor_name ?? "" },
            { header: "保管人", cell: (r) => r.custodianNames ?? "" },
            { header: "待處理", cell: (r) => r.pending },
            {
              header: "操作",
              hiddenHeader: true,
              cell: (r) => (
                <Link to={`/admin/repair-types/${r.id}`} className="btn btn-small" aria-label={`編輯 ${r.name}`}>
                  編輯
                </Link>
              ),
            },
          ]}
        />
      </section>
    </ConsolePage>
  );
}
