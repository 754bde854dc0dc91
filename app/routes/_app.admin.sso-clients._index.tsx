import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { ConsolePage, DataTable } from "~/components/list-page";
import { ssoLinks } from "~/components/sso";
import { load } from "~/utils/errors.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links = ssoLinks;
export const meta: MetaFunction = () => [{ title: "單一登入用戶端管理 | 臺南市政府公務入口網" }];

/** IDN-6: registered systems, for system admins (others: 404). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({ clients: await load(() => context.services.ssoClients.list(actor)) });
}

export default function SsoClients() {
  const { clients } = useLoaderData<typeof loader>();
  return (
    <ConsolePage
      trail={[{ to: "/apps", label: "應用程式列表" }]}
      here="用戶端管理"
      title="單一登入用戶端管理"
      actions={
        <Link to="/admin/sso-applications" className="btn">
          介接申請審核
        </Link>
      }
    >
      <section className="card">
        <DataTable
          caption="用戶端"
          rows={clients}
          rowKey={(c) => c.client_id}
          columns={[
            { header: "系統名稱", cell: (c) => c.name },
            { header: "用戶端識別碼", cell: (c) => <code>{c.client_id}</code> },
            { header: "權責機關", cell: (c) => c.agency ?? "—" },
            { header: "狀態", cell: (c) => (c.enabled ? "啟用" : "停用") },
            { header: "最近登入", cell: (c) => (c.last_sign_in ? formatDateTime(c.last_sign_in) : "—") },
            {
              header: "操作",
              hiddenHeader: true,
              cell: (c) => (
                <Link to={`/admin/sso-clients/${c.client_id}`} className="btn btn-small" aria-label={`管理 ${c.name}`}>
                  管理
                </Link>
              ),
            },
          ]}
        />
      </section>
    </ConsolePage>
  );
}
