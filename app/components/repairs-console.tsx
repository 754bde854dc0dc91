import { useFetcher } from "@remix-run/react";
import { useEffect, useState } from "react";
import { AgencyField, AgencyScopeField, described, Field } from "~/components/items";

const scopeLabels = {
  all: "全府同仁（所有機關）",
  own: "僅限機關同仁",
  own_listed: "開放機關同仁及其他機關人員",
};

/** 允許報修機關: all / own / own + the agencies added by +. */
export function ReportScopeField(props: {
  agencies: { id: number; name: string }[];
  defaultScope: string;
  defaultListed: number[];
  errors: Record<string, string | undefined>;
}) {
  return (
    <AgencyScopeField
      name="reportScope"
      legend="允許報修機關"
      options={[
        ["all", scopeLabels.all],
        ["own", scopeLabels.own],
        ["listed", scopeLabels.own_listed],
      ]}
      {...props}
    />
  );
}

interface Person {
  id: number;
  name: string;
  username: string;
  unitName: string;
}

/** The picks a refused form sent back (JSON per person), or none when unreadable. */
export function pickedVendors(raw: string | undefined): Person[] {
  try {
    const list: unknown = JSON.parse(raw ?? "[]");
    if (!Array.isArray(list)) return [];
    return list.filter(
      (p): p is Person =>
        typeof p === "object" &&
        p !== null &&
        typeof p.id === "number" &&
        typeof p.name === "string" &&
        typeof p.username === "string" &&
        typeof p.unitName === "string",
    );
  } catch {
    return [];
  }
}

/** 維修人員: type at least 2 characters of a name, add from the matches, remove with x. */
export function VendorPicker({ initial, error }: { initial: Person[]; error?: string }) {
  const [chosen, setChosen] = useState<Person[]>(initial);
  const [q, setQ] = useState("");
  const fetcher = useFetcher<{ people: Person[] }>();
  const { load } = fetcher;
  useEffect(() => {
    if ([...q.trim()].length < 2) return;
    const t = setTimeout(() => load(`/repairs/vendors?q=${encodeURIComponent(q.trim())}`), 250);
    return () => clearTimeout(t);
  }, [q]);
  const matches = [...q.trim()].length >= 2 ? (fetcher.data?.people ?? []) : [];
  const id = "f-vendor-q";
  return (
    <Field id={id} label="維修人員" error={error} hint="輸入姓名至少 2 個字搜尋，再按「加入」">
      {chosen.length > 0 ? (
        <ul className="chips" aria-label="已選的維修人員">
          {chosen.map((p) => (
            <li key={p.id}>
              {p.name}（{p.unitName}）
              <input type="hidden" name="vendorIds" value={p.id} />
              {/* Sent back with a refused form so the picks survive it. */}
              <input type="hidden" name="vendorPicked" value={JSON.stringify(p)} />
              <button
                type="button"
                className="chip-x"
                onClick={() => setChosen(chosen.filter((x) => x.id !== p.id))}
                aria-label={`移除 ${p.name}`}
              >
                x
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="empty">尚未選擇維修人員</p>
      )}
      <input
        type="search"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        placeholder="輸入姓名搜尋"
        autoComplete="off"
        maxLength={50}
        {...described(id, error, "x")}
      />
      <ul className="vendor-list" aria-live="polite" aria-label="搜尋結果">
        {matches
          .filter((p) => !chosen.some((c) => c.id === p.id))
          .map((p) => (
            <li key={p.id}>
              <span>
                {p.name}（{p.username}，{p.unitName}）
              </span>
              <button
                type="button"
                className="btn btn-small"
                onClick={() => setChosen([...chosen, p])}
                aria-label={`加入 ${p.name}`}
              >
                加入
              </button>
            </li>
          ))}
      </ul>
    </Field>
  );
}

/** The type's own fields: name, 管理機關, 報修廠商資訊 and 處理分類. */
export function TypeFields({
  values,
  errors,
  managing,
  agencyLocked,
  onAgencyChange,
}: {
  values: Record<string, string | undefined>;
  errors: Record<string, string | undefined>;
  managing: { id: number; name: string }[];
  agencyLocked?: string;
  onAgencyChange?: (id: number) => void;
}) {
  const text = (name: string, label: string, o: { required?: boolean; max?: number; type?: string } = {}) => (
    <Field id={`f-${name}`} label={label} required={o.required} error={errors[name]}>
      <input
        name={name}
        type={o.type ?? "text"}
        maxLength={o.max}
        defaultValue={values[name] ?? ""}
        {...described(`f-${name}`, errors[name])}
      />
    </Field>
  );
  return (
    <>
      {text("name", "報修類型名稱", { required: true, max: 100 })}
      <AgencyField
        managing={managing}
        agencyLocked={agencyLocked}
        defaultValue={values.agencyId}
        error={errors.agencyId}
        onAgencyChange={onAgencyChange}
      />
      <fieldset className="field">
        <legend>報修廠商資訊</legend>
        {text("vendorName", "廠商名稱", { max: 100 })}
        {text("vendorPhone", "廠商聯絡電話", { max: 30, type: "tel" })}
      </fieldset>
      <Field
        id="f-categories"
        label="處理分類"
        error={errors.categories}
        hint="每行一個分類，例如「公文管理系統維修-一般操作問題」；留空則由維修人員自行填寫"
      >
        <textarea
          name="categories"
          rows={4}
          defaultValue={values.categories ?? ""}
          {...described("f-categories", errors.categories, "x")}
        />
      </Field>
    </>
  );
}

// ---- Charts (server-rendered SVG; the same numbers are always given as a table) ----

type Volume = { label: string; total: number; pending: number; processed: number; returned: number };
const PARTS = ["processed", "pending", "returned"] as const;
export const partLabels = { pending: "待處理", processed: "已處理", returned: "已退回" };

function niceMax(n: number) {
  if (n <= 5) return 5;
  const p = 10 ** Math.floor(Math.log10(n));
  return Math.ceil(n / p) * p;
}

export function Legend() {
  return (
    <ul className="chart-legend" aria-hidden="true">
      {PARTS.map((p) => (
        <li key={p}>
          <span className={`swatch swatch-${p}`} />
          {partLabels[p]}
        </li>
      ))}
    </ul>
  );
}

/** 案件量: stacked bars per day or month. */
export function VolumeChart({ data, unit }: { data: Volume[]; unit: "day" | "month" }) {
  const W = 640;
  const H = 220;
  const left = 36;
  const bottom = 28;
  const max = niceMax(Math.max(0, ...data.map((d) => d.total)));
  const slot = (W - left - 8) / Math.max(1, data.length);
  const bar = Math.max(1, slot * 0.7);
  const y = (v: number) => ((H - bottom - 8) * v) / max;
  const every = Math.ceil(data.length / 12);
  const tick = (l: string) => (unit === "day" ? l.slice(5).replace("-", "/") : l.replace("-", "/"));
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="volume-title">
      <title id="volume-title">{`案件量（${unit === "day" ? "每日" : "每月"}），明細見下方表格`}</title>
      {[0, 0.5, 1].map((f) => (
        <g key={f}>
          <line className="axis" x1={left} x2={W - 4} y1={H - bottom - y(max * f)} y2={H - bottom - y(max * f)} />
          <text x={left - 6} y={H - bottom - y(max * f) + 4} textAnchor="end">
            {Math.round(max * f)}
          </text>
        </g>
      ))}
      {data.map((d, i) => {
        let acc = 0;
        const x = left + i * slot + (slot - bar) / 2;
        return (
          <g key={d.label}>
            {PARTS.map((p) => {
              const h = y(d[p]);
              acc += h;
              return h > 0 ? (
                <rect key={p} className={`bar-${p}`} x={x} y={H - bottom - acc} width={bar} height={h} />
              ) : null;
            })}
            {i % every === 0 ? (
              <text x={x + bar / 2} y={H - bottom + 16} textAnchor="middle">
                {tick(d.label)}
              </text>
            ) : null}
          </g>
        );
      })}
    </svg>
  );
}

/** 處理狀況: one horizontal bar per status. */
export function StatusChart({ data }: { data: { status: string; label: string; count: number }[] }) {
  const W = 320;
  const row = 40;
  const H = row * data.length + 8;
  const left = 56;
  const max = niceMax(Math.max(0, ...data.map((d) => d.count)));
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="status-title">
      <title id="status-title">各處理狀況件數，明細見下方表格</title>
      {data.map((d, i) => {
        const w = ((W - left - 48) * d.count) / max;
        return (
          <g key={d.status}>
            <text x={left - 8} y={i * row + 26} textAnchor="end">
              {d.label}
            </text>
            <rect className={`bar-${d.status}`} x={left} y={i * row + 10} width={Math.max(0, w)} height={22} />
            <text x={left + w + 6} y={i * row + 26}>
              {d.count}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
