import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { consoleLinks, PagedTable } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";
import { label, loginActionLabels, loginResultLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";
import { loginMethodLabels } from "~/utils/usage-labels";
import { auditActionLabel } from "../../bff/audit-labels.js";

export const links = consoleLinks;
export const meta: MetaFunction = () => [{ title: "帳號紀錄 | 臺南市政府公務入口網" }];

/** ACC-19 帳號登入紀錄 and 帳號使用紀錄: mine only, paged in the database. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sp = new URL(request.url).searchParams;
  const tab = sp.get("tab") === "usage" ? "usage" : "logins";
  const self = context.services.applications.self;
  if (tab === "usage") {
    return json(
      recordPage(tab, await self.usageRecords(actor, sp.get("page")), (x) => ({
        id: x.id,
        at: x.at,
        what: auditActionLabel(x.action),
        detail: x.target,
        ip: x.ip,
      })),
    );
  }
  return json(
    recordPage(tab, await self.loginRecords(actor, sp.get("page")), (x) => ({
      id: x.id,
      at: x.at,
      what: `${label(loginActionLabels, x.action)}・${label(loginResultLabels, x.result)}`,
      detail: label(loginMethodLabels, x.method),
      ip: x.ip,
    })),
  );
}

/** Both tabs page the same way; only how a row reads differs. */
function recordPage<T, R>(
  tab: "usage" | "logins",
  r: { total: number; page: number; pageSize: number; rows: T[] },
  row: (x: T) => R,
) {
  return { tab, total: r.total, page: r.page, pageSize: r.pageSize, rows: r.rows.map(row) };
}

export default function MyRecords() {
  const list = useLoaderData<typeof loader>();
  const { tab } = list;
  return (
    <div>
      <h1 className="page-title">帳號紀錄</h1>
      <nav className="tabs" aria-label="紀錄種類">
        <Link
          to="?tab=logins"
          className={`tab${tab === "logins" ? " tab-current" : ""}`}
          aria-current={tab === "logins" ? "page" : undefined}
        >
          帳號登入紀錄
        </Link>
        <Link
          to="?tab=usage"
          className={`tab${tab === "usage" ? " tab-current" : ""}`}
          aria-current={tab === "usage" ? "page" : undefined}
        >
          帳號使用紀錄
        </Link>
      </nav>
      <PagedTable
        caption={tab === "logins" ? "帳號登入紀錄" : "帳號使用紀錄"}
        list={list}
        rowKey={(r) => r.id}
        columns={[
          { header: "時間", cell: (r) => formatDateTime(r.at) },
          { header: tab === "logins" ? "動作・結果" : "動作", cell: (r) => r.what },
          { header: tab === "logins" ? "登入方式" : "對象", cell: (r) => r.detail },
          { header: "來源位址", cell: (r) => r.ip || "—" },
        ]}
      />
      <p>
        <Link to="/me">回我的帳號</Link>
      </p>
    </div>
  );
}
