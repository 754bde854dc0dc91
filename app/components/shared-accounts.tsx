import { Form } from "@remix-run/react";
import { type Paged, PagedTable, RangeFilter } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";

/** zh-TW labels the shared-account pages show (the BFF has its own copy for exports). */
export const sharedTypeLabels: Record<string, string> = {
  agency: "機關帳號",
  mail: "郵件系統帳號",
  system: "資訊系統帳號",
};
export const reviewLabels: Record<string, string> = { pending: "未審核", approved: "通過", rejected: "駁回" };

export interface Candidate {
  id: number;
  name: string;
  unitName: string;
  title: string;
  officePhone: string;
}

/**
 * 保管人異動: search colleagues of the account's agency (a GET form), then pick one and give a
 * reason (a POST form). Only name, unit, title and official phone are shown.
 */
export function CustodianPicker(props: {
  q: string;
  candidates: Candidate[];
  values: Record<string, string>;
  errors: Record<string, string>;
  busy: boolean;
  /** Extra query kept by the search form (e.g. the tab). */
  keep?: Record<string, string>;
}) {
  const { errors, values } = props;
  return (
    <div className="person-search">
      <form method="get" className="filters" role="search" aria-label="搜尋同機關同仁">
        {Object.entries(props.keep ?? {}).map(([k, v]) => (
          <input key={k} type="hidden" name={k} value={v} />
        ))}
        <label htmlFor="picker-q">搜尋同機關同仁（姓名、單位或職稱）</label>
        <input id="picker-q" name="q" type="search" defaultValue={props.q} maxLength={50} />
        <button type="submit" className="btn btn-small">
          搜尋
        </button>
      </form>
      <Form method="post" aria-label="保管人異動">
        <input type="hidden" name="intent" value="transfer" />
        <fieldset className="choice-group" aria-describedby={errors.accountId ? "transfer-accountId-error" : undefined}>
          <legend>新保管人（僅限同機關同仁）</legend>
          {props.candidates.length === 0 ? <p className="muted">找不到符合的同仁</p> : null}
          {props.candidates.map((p) => (
            <label key={p.id} className="choice">
              <input type="radio" name="accountId" value={p.id} defaultChecked={values.accountId === String(p.id)} />
              {p.name}｜{p.unitName}｜{p.title || "—"}｜{p.officePhone || "—"}
            </label>
          ))}
          {errors.accountId ? (
            <p className="field-error" id="transfer-accountId-error">
              {errors.accountId}
            </p>
          ) : null}
        </fieldset>
        <div className={`field${errors.reason ? " field-invalid" : ""}`}>
          <label htmlFor="transfer-reason">異動原因</label>
          <textarea
            id="transfer-reason"
            name="reason"
            rows={2}
            maxLength={200}
            defaultValue={values.reason ?? ""}
            aria-invalid={errors.reason ? true : undefined}
            aria-describedby={errors.reason ? "transfer-reason-error" : undefined}
          />
          {errors.reason ? (
            <p className="field-error" id="transfer-reason-error">
              {errors.reason}
            </p>
          ) : null}
        </div>
        <button type="submit" className="btn btn-primary" disabled={props.busy}>
          確定移轉
        </button>
      </Form>
    </div>
  );
}

export interface LogRow {
  id: number;
  at: string;
  field: string;
  before: string;
  after: string;
  reason: string;
  byName: string | null;
}

/** 資料異動紀錄 / 帳號狀態異動紀錄 with a 異動時間 filter, the export link and the pager. */
export function ChangeLogTable(props: {
  title: string;
  log: Paged<LogRow> & { filter: { from: string; to: string } };
  exportHref: string;
  tab: string;
}) {
  const { log } = props;
  return (
    <section className="card" aria-label={props.title}>
      <div className="page-head">
        <h2>{props.title}</h2>
        <a className="btn btn-small" href={props.exportHref} download>
          匯出
        </a>
      </div>
      <RangeFilter label="異動時間" tab={props.tab} from={log.filter.from} to={log.filter.to} />
      <PagedTable
        caption={props.title}
        list={log}
        rowKey={(r) => r.id}
        columns={[
          { header: "異動時間", cell: (r) => formatDateTime(r.at) },
          { header: "異動項目", cell: (r) => r.field },
          { header: "異動前", cell: (r) => r.before },
          { header: "異動後", cell: (r) => r.after },
          { header: "原因", cell: (r) => r.reason },
          { header: "執行人", cell: (r) => r.byName ?? "" },
        ]}
      />
    </section>
  );
}
