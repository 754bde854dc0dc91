import { Link, useSearchParams } from "@remix-run/react";
import { type Paged, PagedTable, RangeFilter } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";

/** Form values and per-field errors as the actions return them. */
export type Values = Record<string, string>;
export type Errors = Record<string, string>;

/** ACC-4 註銷原因: the four reasons and the text for 其他. */
export function DisableReasonFields({
  values,
  errors,
  idPrefix,
}: {
  values: Values;
  errors: Errors;
  idPrefix: string;
}) {
  return (
    <>
      <div className={`field${errors.reason ? " field-invalid" : ""}`}>
        <label htmlFor={`${idPrefix}-reason`}>註銷原因</label>
        <select
          id={`${idPrefix}-reason`}
          name="reason"
          defaultValue={values.reason ?? ""}
          aria-invalid={errors.reason ? true : undefined}
          aria-describedby={errors.reason ? `${idPrefix}-reason-error` : undefined}
        >
          <option value="">請選擇</option>
          <option>離職</option>
          <option>退休</option>
          <option>留職停薪</option>
          <option>其他</option>
        </select>
        {errors.reason ? (
          <p className="field-error" id={`${idPrefix}-reason-error`}>
            {errors.reason}
          </p>
        ) : null}
      </div>
      <div className={`field${errors.reasonText ? " field-invalid" : ""}`}>
        <label htmlFor={`${idPrefix}-reasonText`}>說明（原因為「其他」時必填）</label>
        <input
          id={`${idPrefix}-reasonText`}
          name="reasonText"
          maxLength={200}
          defaultValue={values.reasonText ?? ""}
          aria-invalid={errors.reasonText ? true : undefined}
          aria-describedby={errors.reasonText ? `${idPrefix}-reasonText-error` : undefined}
        />
        {errors.reasonText ? (
          <p className="field-error" id={`${idPrefix}-reasonText-error`}>
            {errors.reasonText}
          </p>
        ) : null}
      </div>
    </>
  );
}

/** ACC-9 生效時間: 立即生效, or 預約生效 at a Taipei date and time (works without scripts). */
export function EffectiveTime({ values, errors, idPrefix }: { values: Values; errors: Errors; idPrefix: string }) {
  const scheduled = values.effective === "scheduled";
  return (
    <fieldset className={`field choice-group${errors.effective || errors.executeAt ? " field-invalid" : ""}`}>
      <legend>生效時間</legend>
      <label className="choice">
        <input type="radio" name="effective" value="now" defaultChecked={!scheduled} />
        立即生效
      </label>
      <label className="choice">
        <input type="radio" name="effective" value="scheduled" defaultChecked={scheduled} />
        預約生效
      </label>
      <label htmlFor={`${idPrefix}-executeAt`}>預約生效時間（選擇預約生效時填寫）</label>
      <input
        id={`${idPrefix}-executeAt`}
        type="datetime-local"
        name="executeAt"
        defaultValue={values.executeAt ?? ""}
        aria-invalid={errors.executeAt ? true : undefined}
        aria-describedby={errors.executeAt ? `${idPrefix}-executeAt-error` : undefined}
      />
      {errors.effective || errors.executeAt ? (
        <p className="field-error" id={`${idPrefix}-executeAt-error`}>
          {errors.effective ?? errors.executeAt}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * The links a guard refusal carries (fields named `fix:<url>`): where to appoint another
 * admin or hand custody over first.
 */
export function FixLinks({ fields }: { fields: Errors }) {
  const links = Object.entries(fields).filter(([k]) => k.startsWith("fix:"));
  if (links.length === 0) return null;
  return (
    <ul className="check-list">
      {links.map(([k, who]) => (
        <li key={k}>
          <Link to={k.slice(4)}>前往 {who} 的帳號狀態（指派管理者或移轉保管）</Link>
        </li>
      ))}
    </ul>
  );
}

/** A page's query string with some keys replaced (and the dialog closed). */
export function useHref() {
  const [params] = useSearchParams();
  return (set: Record<string, string | null>) => {
    const next = new URLSearchParams(params);
    next.delete("detail");
    next.delete("record");
    for (const [k, v] of Object.entries(set)) {
      if (v === null) next.delete(k);
      else next.set(k, v);
    }
    return `?${next.toString()}`;
  };
}

export interface LogRow {
  id: number;
  at: string;
  field: string;
  before_value: string;
  after_value: string;
  note: string;
  scheduled_change_id: number | null;
  actorName: string | null;
  actorUsername: string | null;
}

/** One change log (who, when, field, before → after) with 詳細 and 匯出. */
export function ChangeLogTable(props: {
  title: string;
  kind: "data" | "unit" | "status";
  tab: string;
  accountId: number;
  log: Paged<LogRow> & { filter: { from: string; to: string } };
  entry: LogRow | null;
  rangeLabel: string;
}) {
  const href = useHref();
  const p = `${props.kind[0]}`;
  const exportQuery = new URLSearchParams({ kind: props.kind, from: props.log.filter.from, to: props.log.filter.to });
  const headingId = `log-${props.kind}`;
  return (
    <section className="card" aria-labelledby={headingId}>
      <div className="page-head">
        <h2 id={headingId}>{props.title}</h2>
        <a
          className="btn btn-small"
          href={`/admin/accounts/${props.accountId}/changes.xlsx?${exportQuery.toString()}`}
          download
        >
          匯出
        </a>
      </div>
      <RangeFilter
        label={props.rangeLabel}
        tab={props.tab}
        prefix={p}
        from={props.log.filter.from}
        to={props.log.filter.to}
      />
      <PagedTable
        caption={props.title}
        list={props.log}
        param={`${p}page`}
        rowKey={(r) => r.id}
        columns={[
          { header: "異動時間", cell: (r) => formatDateTime(r.at) },
          { header: "異動者", cell: (r) => r.actorName ?? "系統" },
          { header: "欄位", cell: (r) => r.field },
          {
            header: "異動前 → 異動後",
            cell: (r) => `${r.before_value || "（空白）"} → ${r.after_value || "（空白）"}`,
          },
          {
            header: "動作",
            hiddenHeader: true,
            cell: (r) => (
              <Link
                to={`${href({})}&detail=${r.id}&log=${props.kind}`}
                preventScrollReset
                className="btn btn-small"
                aria-label={`詳細：${r.field} ${formatDateTime(r.at)}`}
              >
                詳細
              </Link>
            ),
          },
        ]}
      />
      {props.entry ? (
        <dialog open className="detail-dialog" aria-labelledby={`${headingId}-detail`} aria-modal="false">
          <div className="dialog-head">
            <h3 id={`${headingId}-detail`}>{props.title}詳細資料</h3>
            <Link to={href({})} className="dialog-close" aria-label="關閉" preventScrollReset autoFocus>
              ✕
            </Link>
          </div>
          <dl className="facts">
            <dt>異動時間</dt>
            <dd>{formatDateTime(props.entry.at)}</dd>
            <dt>異動者</dt>
            <dd>{props.entry.actorName ? `${props.entry.actorName}（${props.entry.actorUsername}）` : "系統"}</dd>
            <dt>欄位</dt>
            <dd>{props.entry.field}</dd>
            <dt>異動前</dt>
            <dd>{props.entry.before_value || "（空白）"}</dd>
            <dt>異動後</dt>
            <dd>{props.entry.after_value || "（空白）"}</dd>
            <dt>備註</dt>
            <dd>{props.entry.note || "—"}</dd>
            <dt>生效方式</dt>
            <dd>{props.entry.scheduled_change_id ? "預約生效" : "立即生效"}</dd>
          </dl>
        </dialog>
      ) : null}
    </section>
  );
}

/** 登入方式 (login_records.method). */
export const loginMethodLabels: Record<string, string> = {
  password: "帳號密碼",
  totp: "OTP驗證",
  recovery_code: "復原碼",
  passkey: "通行金鑰",
  temp_password: "臨時密碼",
  certificate: "自然人憑證",
  sso: "單一登入",
  api: "帳號驗證機制",
};

export const custodyKindLabels: Record<string, string> = {
  venue: "場地",
  car: "公務車",
  driver: "派遣司機",
  repair_type: "報修類型",
  shared_account: "機關及郵件系統帳號",
};

export const scheduledTypeLabels: Record<string, string> = {
  "account.disable": "停用帳號",
  "account.enable": "啟用帳號",
  "account.unit": "單位異動",
  "account.role": "權限異動",
};
