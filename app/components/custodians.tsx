import { Form } from "@remix-run/react";
import { described, Field, PersonPicker } from "~/components/items";
import { type Paged, PagedTable, RangeFilter } from "~/components/list-page";
import { formatDateTime } from "~/utils/format";

type Failure = { ok: false; message: string; fields: Record<string, string>; values: Record<string, string> };
type PickerProps = Parameters<typeof PersonPicker>[0];

interface Holder {
  slot: number;
  name: string;
  username: string;
  unitName: string;
  title: string | null;
}

/**
 * 保管人設定 / 管理人員設定: the two slot cards, each with a form that sets the slot (or
 * empties slot 2) with a reason. `failure` is the last failed "custodian" action, if any.
 */
export function CustodianSlots({
  title,
  holder,
  custodians,
  failure,
  people,
  source,
  endpoint,
}: {
  title: string;
  /** 保管人 / 管理人 */
  holder: string;
  custodians: Holder[];
  failure?: Failure;
  people: PickerProps["initial"];
  source: PickerProps["source"];
  endpoint?: string;
}) {
  return (
    <section className="card" aria-labelledby="holders-h">
      <h2 id="holders-h">{title}</h2>
      <ul className="holder-slots">
        {[1, 2].map((slot) => {
          const h = custodians.find((c) => c.slot === slot);
          const mine = failure && failure.values.slot === String(slot) ? failure : undefined;
          return (
            <li key={slot} className="holder-slot">
              <h3>
                {holder} {slot}
                <span className="muted">{slot === 1 ? "（必填）" : "（選填）"}</span>
              </h3>
              <p>{h ? `${h.name}（${h.username}，${h.unitName}${h.title ? ` ${h.title}` : ""}）` : "目前沒有資料"}</p>
              <details className="disclosure" open={Boolean(mine)}>
                <summary className="btn btn-small">設置{holder}</summary>
                <Form method="post" className="holder-form">
                  <input type="hidden" name="intent" value="custodian" />
                  <input type="hidden" name="slot" value={slot} />
                  <PersonPicker
                    name="accountId"
                    label={`新${holder}`}
                    required={slot === 1}
                    initial={people}
                    defaultValue={mine?.values.accountId}
                    error={mine?.fields.accountId}
                    source={source}
                    endpoint={endpoint}
                    allowEmpty={slot === 2 ? `（清空：移除${holder} 2）` : undefined}
                  />
                  <Field id={`reason-${slot}`} label="異動原因" required error={mine?.fields.reason}>
                    <textarea
                      name="reason"
                      rows={2}
                      maxLength={200}
                      defaultValue={mine?.values.reason ?? ""}
                      {...described(`reason-${slot}`, mine?.fields.reason)}
                    />
                  </Field>
                  <div className="actions">
                    <button type="submit" className="btn btn-primary btn-small">
                      確定
                    </button>
                    <button type="reset" className="btn btn-small">
                      取消
                    </button>
                  </div>
                </Form>
              </details>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

interface ChangeLog extends Paged<{
  id: number;
  at: string;
  slot: number;
  reason: string;
  fromName: string | null;
  toName: string | null;
  actorName: string | null;
}> {
  filter: { from: string; to: string };
}

/** 保管人異動紀錄 / 管理人異動紀錄: filtered by 執行時間, with its .xlsx export at `exportPath`. */
export function CustodianChangeLog({
  holder,
  log,
  exportPath,
}: {
  holder: string;
  log: ChangeLog;
  exportPath: string;
}) {
  const exportHref = `${exportPath}?from=${log.filter.from}&to=${log.filter.to}`;
  return (
    <section className="card" aria-labelledby="log-h">
      <div className="page-head">
        <h2 id="log-h">{holder}異動紀錄</h2>
        <a href={exportHref} className="btn btn-small" download>
          匯出
        </a>
      </div>
      <RangeFilter label="執行時間" tab="holders" from={log.filter.from} to={log.filter.to} />
      <PagedTable
        caption={`${holder}異動紀錄`}
        list={log}
        rowKey={(r) => r.id}
        columns={[
          { header: "執行時間", cell: (r) => formatDateTime(r.at) },
          { header: holder, cell: (r) => `${holder} ${r.slot}` },
          { header: `原${holder}`, cell: (r) => r.fromName ?? "—" },
          { header: `新${holder}`, cell: (r) => r.toName ?? "（移除）" },
          { header: "異動原因", cell: (r) => r.reason },
          { header: "執行人", cell: (r) => r.actorName ?? "" },
        ]}
      />
    </section>
  );
}
