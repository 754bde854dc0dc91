import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { StatusTag, ssoLinks } from "~/components/sso";
import { ConsolePage, DataTable } from "~/components/list-page";
import { load } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links = ssoLinks;
export const meta: MetaFunction = () => [{ title: "介接申請審核 | 臺南市政府公務入口網" }];

const TABS = [
  { status: "pending", label: "待審核" },
  { status: "approved", label: "已通過" },
  { status: "rejected", label: "已駁回" },
  { status: "", label: "全部" },
];

/** IDN-6: the system admin's list of integration applications (others: 404). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const status = sp.get("status") ?? "pending";
  const list = await load(() => context.services.ssoApplications.adminList(actor, { status }));
  return json({ list, status });
}

export default function SsoApplications() {
  const { list, status } = useLoaderData<typeof loader>();
  return (
    <ConsolePage
      trail={[{ to: "/apps", label: "應用程式列表" }]}
      here="介接申請審核"
      title="應用系統服務介接申請審核"
      actions={
        <Link to="/admin/sso-clients" className="btn">
          用戶端管理
        </Link>
      }
    >
      <nav className="tabs" aria-label="申請狀態">
        {TABS.map((t) => (
          <Link
            key={t.status}
            to={`?status=${t.status}`}
            className={`tab${t.status === status ? " tab-current" : ""}`}
            aria-current={t.status === status ? "page" : undefined}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      <section className="card">
        <DataTable
          caption="介接申請"
          rows={list}
          rowKey={(a) => a.id}
          columns={[
            { header: "申請時間", cell: (a) => formatDateTime(a.created_at) },
            { header: "系統名稱", cell: (a) => a.system_name },
            { header: "權責機關", cell: (a) => a.agency },
            { header: "申請人", cell: (a) => a.applicant },
            { header: "狀態", cell: (a) => <StatusTag status={a.status} /> },
            {
              header: "操作",
              hiddenHeader: true,
              cell: (a) => (
                <Link
                  to={`/admin/sso-applications/${a.id}`}
                  className="btn btn-small"
                  aria-label={`${a.status === "pending" ? "審核" : "檢視"} ${a.system_name}`}
                >
                  {a.status === "pending" ? "審核" : "檢視"}
                </Link>
              ),
            },
          ]}
        />
      </section>
    </ConsolePage>
  );
}
