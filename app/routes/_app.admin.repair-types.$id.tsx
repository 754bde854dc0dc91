import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ConfirmAction } from "~/components/confirm-dialog";
import { CustodianChangeLog, CustodianSlots } from "~/components/custodians";
import { FormMessage } from "~/components/forms";
import { Tabs } from "~/components/items";
import { type Column, DataTable, RangeFilter } from "~/components/list-page";
import {
  Legend,
  partLabels,
  ReportScopeField,
  StatusChart,
  TypeFields,
  VendorPicker,
  VolumeChart,
} from "~/components/repairs-console";
import consoleStyles from "~/styles/console.css";
import repairStyles from "~/styles/repairs.css";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: repairStyles },
];
export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: `${data?.detail.type.name ? `${data.detail.type.name} | ` : ""}報修類型管理 | 臺南市政府公務入口網` },
];

type Tab = "info" | "holders" | "status";

export async function loader({ request, context, params }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  const sp = new URL(request.url).searchParams;
  const tab: Tab = sp.get("tab") === "holders" ? "holders" : sp.get("tab") === "status" ? "status" : "info";
  const detail = await load(() => repairs.get(actor, params.id));
  const id = detail.type.id;
  const filter = { from: sp.get("from") ?? "", to: sp.get("to") ?? "", page: sp.get("page") ?? "" };
  const [options, changeLog, people, stats] = await Promise.all([
    tab === "info" ? repairs.formOptions(actor) : null,
    tab === "holders" ? repairs.changeLog(actor, id, filter) : null,
    tab === "holders" ? repairs.people(actor, { typeId: id }) : null,
    tab === "status" ? repairs.statistics(actor, id, filter) : null,
  ]);
  return json({ tab, detail, options, changeLog, people, stats });
}

/**
 * The detail page's forms. A success redirects back to the tab it came from with a flash
 * message (so a reload does not post again); a refusal renders inline with what was typed.
 */
export async function action({ request, context, params }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const repairs = context.services.repairs;
  const form = await readForm(request);
  const intent = String(form.get("intent") ?? "");
  const base = `/admin/repair-types/${params.id}`;
  try {
    switch (intent) {
      case "save": {
        const values = formValues(form, ["intent", "name", "reportScope", "vendorName", "vendorPhone", "categories"]);
        const listed = form.getAll("listedAgencyIds").filter((v): v is string => typeof v === "string");
        const vendorIds = form.getAll("vendorIds").filter((v): v is string => typeof v === "string");
        let saved: { name: string };
        try {
          saved = await repairs.update(actor, params.id, { ...values, listedAgencyIds: listed, vendorIds });
        } catch (e) {
          return formFailure(e, { ...values, listedAgencyIds: listed.join(",") });
        }
        return redirectWithFlash(context, base, `已儲存報修類型「${saved.name}」`);
      }
      case "delete": {
        const { name } = await repairs.remove(actor, params.id);
        return redirectWithFlash(context, "/admin/repair-types", `已刪除報修類型「${name}」`);
      }
      case "custodian": {
        const values = formValues(form, ["intent", "slot", "accountId", "reason"]);
        try {
          await repairs.setCustodian(actor, params.id, {
            slot: values.slot,
            accountId: values.accountId,
            reason: values.reason,
          });
        } catch (e) {
          return formFailure(e, values);
        }
        const done = values.accountId ? `已設定保管人 ${values.slot}` : `已移除保管人 ${values.slot}`;
        return redirectWithFlash(context, `${base}?tab=holders`, done);
      }
      default:
        throw new Response("不支援的操作", { status: 400 });
    }
  } catch (e) {
    return formFailure(e, { intent });
  }
}

type Failure = { ok: false; message: string; fields: Record<string, string>; values: Record<string, string> };

export default function RepairTypePage() {
  const data = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>() as Failure | undefined;
  const { detail, tab } = data;
  const base = `/admin/repair-types/${detail.type.id}`;
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin/repair-types">報修類型管理</Link> › <span aria-current="page">{detail.type.name}</span>
      </nav>
      <p className="eyebrow">報修類型</p>
      <h1 className="page-title">{detail.type.name}</h1>
      <Tabs
        label="報修類型"
        panelId="detail-panel"
        current={tab}
        tabs={[
          { id: "info", label: "報修類型資訊", to: `${base}?tab=info` },
          { id: "holders", label: "保管人設定", to: `${base}?tab=holders` },
          { id: "status", label: "處理狀況", to: `${base}?tab=status` },
        ]}
      />
      <div id="detail-panel" role="tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === "info" ? <InfoTab failure={failure} /> : null}
        {tab === "holders" ? <HoldersTab failure={failure} /> : null}
        {tab === "status" ? <StatusTab /> : null}
      </div>
    </div>
  );
}

function InfoTab({ failure }: { failure?: Failure }) {
  const { detail, options } = useLoaderData<typeof loader>();
  const nav = useNavigation();
  const t = detail.type;
  const saveFailure = failure && failure.values.intent === "save" ? failure : undefined;
  const values = saveFailure?.values ?? {
    name: t.name,
    reportScope: t.report_scope,
    vendorName: t.vendor_name ?? "",
    vendorPhone: t.vendor_phone ?? "",
    categories: t.categories.join("\n"),
    listedAgencyIds: detail.listed.map((a) => a.id).join(","),
  };
  const errors = saveFailure?.fields ?? {};
  return (
    <>
      <FormMessage id="info-error" message={failure?.message} />
      <section className="card" aria-labelledby="info-h">
        <h2 id="info-h">報修類型資訊</h2>
        <Form method="post" noValidate className="item-form" key={t.updated_at}>
          <input type="hidden" name="intent" value="save" />
          <TypeFields values={values} errors={errors} managing={[]} agencyLocked={detail.agencyName} />
          <ReportScopeField
            agencies={options?.agencies ?? []}
            defaultScope={values.reportScope ?? ""}
            defaultListed={(values.listedAgencyIds ?? "").split(",").map(Number).filter(Boolean)}
            errors={errors}
          />
          <VendorPicker initial={detail.vendors} error={errors.vendorIds} />
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={nav.state !== "idle"}>
              儲存
            </button>
            <Link to="/admin/repair-types" className="btn">
              取消
            </Link>
          </div>
        </Form>
      </section>
      <section className="card danger-zone" aria-labelledby="delete-h">
        <h2 id="delete-h">刪除報修類型</h2>
        <ConfirmAction
          name="delete"
          label="刪除"
          title={`確定要刪除「${t.name}」嗎？`}
          consequence="刪除後將無法再報修此類型，無法復原；既有報修紀錄仍會保留。"
          confirmLabel="確定刪除"
          fields={{ intent: "delete" }}
        />
      </section>
    </>
  );
}

function HoldersTab({ failure }: { failure?: Failure }) {
  const { detail, changeLog, people } = useLoaderData<typeof loader>();
  const mineFailure = failure && failure.values.intent === "custodian" ? failure : undefined;
  return (
    <>
      <FormMessage id="holder-error" message={mineFailure?.message ?? failure?.message} />
      <CustodianSlots
        title="保管人設定"
        holder="保管人"
        custodians={detail.custodians}
        failure={mineFailure}
        people={people ?? []}
        source={{ typeId: detail.type.id }}
        endpoint="/repairs/people"
      />
      <CustodianChangeLog
        holder="保管人"
        log={changeLog!}
        exportPath={`/admin/repair-types/${detail.type.id}/custodian-changes.xlsx`}
      />
    </>
  );
}

/** 合計 and the three parts, as the last columns of both 處理狀況 tables. */
const countColumns: Column<{ total: number; pending: number; processed: number; returned: number }>[] = [
  { header: "合計", cell: (r) => r.total },
  { header: partLabels.pending, cell: (r) => r.pending },
  { header: partLabels.processed, cell: (r) => r.processed },
  { header: partLabels.returned, cell: (r) => r.returned },
];

function StatusTab() {
  const { detail, stats } = useLoaderData<typeof loader>();
  const s = stats!;
  const exportHref = `/admin/repair-types/${detail.type.id}/tickets.xlsx?from=${s.period.from}&to=${s.period.to}`;
  const tick = (l: string) => l.replace(/-/g, "/");
  return (
    <>
      <section className="card" aria-labelledby="stats-h">
        <div className="page-head">
          <h2 id="stats-h">處理狀況</h2>
          <a href={exportHref} className="btn btn-small" download>
            匯出 Excel
          </a>
        </div>
        <RangeFilter label="報修日期" tab="status" from={s.period.from} to={s.period.to} />
        <ul className="stat-figures">
          <li>
            報修件數<strong>{s.total}</strong>
          </li>
          {s.byStatus.map((b) => (
            <li key={b.status}>
              {b.label}
              <strong>{b.count}</strong>
            </li>
          ))}
          <li>
            退回次數合計<strong>{s.returns}</strong>
          </li>
        </ul>
        <div className="chart-pair">
          <figure>
            <figcaption>案件量（{s.period.unit === "day" ? "每日" : "每月"}）</figcaption>
            <Legend />
            <VolumeChart data={s.volume} unit={s.period.unit} />
          </figure>
          <figure>
            <figcaption>處理狀況</figcaption>
            <StatusChart data={s.byStatus} />
          </figure>
        </div>
        <details className="chart-table">
          <summary>以表格檢視案件量</summary>
          <DataTable
            caption="案件量"
            rows={s.volume}
            rowKey={(v) => v.label}
            columns={[
              { header: s.period.unit === "day" ? "日期" : "月份", cell: (v) => tick(v.label), rowHeader: true },
              ...countColumns,
            ]}
          />
        </details>
      </section>
      <section className="card" aria-labelledby="units-h">
        <h2 id="units-h">各單位報修件數</h2>
        <DataTable
          caption="各單位報修件數"
          rows={s.units}
          rowKey={(u) => u.id}
          columns={[{ header: "報修單位", cell: (u) => u.name, rowHeader: true }, ...countColumns]}
        />
      </section>
    </>
  );
}
