import { Link, useFetcher } from "@remix-run/react";
import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from "react";
import { type ItemKind, kinds, scopeLabels } from "~/utils/items";

/** Tabs as links (`?tab=`), with tab semantics and arrow keys between them. */
export function Tabs({
  label,
  tabs,
  current,
  panelId,
}: {
  label: string;
  tabs: { id: string; label: string; to: string }[];
  current: string;
  panelId: string;
}) {
  const listRef = useRef<HTMLDivElement>(null);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const links = [...(listRef.current?.querySelectorAll<HTMLAnchorElement>("[role=tab]") ?? [])];
    const at = links.indexOf(document.activeElement as HTMLAnchorElement);
    if (at < 0) return;
    e.preventDefault();
    links[(at + (e.key === "ArrowRight" ? 1 : links.length - 1)) % links.length]?.focus();
  };
  return (
    <div className="tabs" role="tablist" aria-label={label} ref={listRef} onKeyDown={onKeyDown}>
      {tabs.map((t) => (
        <Link
          key={t.id}
          id={`tab-${t.id}`}
          role="tab"
          to={t.to}
          aria-selected={t.id === current}
          aria-controls={panelId}
          tabIndex={t.id === current ? 0 : -1}
          className={t.id === current ? "tab tab-current" : "tab"}
          preventScrollReset
        >
          {t.label}
        </Link>
      ))}
    </div>
  );
}

export function Field({
  id,
  label,
  required,
  error,
  hint,
  children,
}: {
  id: string;
  label: string;
  required?: boolean;
  error?: string;
  hint?: string;
  children: ReactNode;
}) {
  return (
    <div className={`field${error ? " field-invalid" : ""}`}>
      <label htmlFor={id}>
        {required ? (
          <span className="req" aria-hidden="true">
            *
          </span>
        ) : null}
        {label}
        {required ? <span className="visually-hidden">（必填）</span> : null}
      </label>
      {hint ? (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      ) : null}
      {children}
      {error ? (
        <p className="field-error" id={`${id}-error`}>
          {error}
        </p>
      ) : null}
    </div>
  );
}

/** aria props tying an input to its hint and error. */
export const described = (id: string, error?: string, hint?: string) => ({
  id,
  "aria-invalid": error ? true : undefined,
  "aria-describedby": [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(" ") || undefined,
});

interface Person {
  id: number;
  name: string;
  username: string;
  title: string;
  unitName: string;
}

/**
 * A person of the managing agency (保管人 / 管理人): a search box narrows the list, read from
 * /items/people; the select keeps its value in the form.
 */
export function PersonPicker({
  name,
  label,
  required,
  initial,
  defaultValue,
  error,
  source,
  allowEmpty,
  endpoint = "/items/people",
}: {
  name: string;
  label: string;
  required?: boolean;
  initial: Person[];
  defaultValue?: string;
  error?: string;
  source: { agencyId?: number; itemId?: number; typeId?: number };
  allowEmpty?: string;
  /** Where candidates are read from (repair types read /repairs/people). */
  endpoint?: string;
}) {
  const fetcher = useFetcher<{ people: Person[] }>();
  const [q, setQ] = useState("");
  const id = `f-${name}`;
  const key = `${source.agencyId ?? ""}:${source.itemId ?? ""}:${source.typeId ?? ""}`;
  const first = useRef(true);
  const { load } = fetcher;
  useEffect(() => {
    if (first.current && q === "") {
      first.current = false;
      return;
    }
    const t = setTimeout(() => {
      const sp = new URLSearchParams({ q });
      if (source.agencyId) sp.set("agencyId", String(source.agencyId));
      if (source.itemId) sp.set("itemId", String(source.itemId));
      if (source.typeId) sp.set("typeId", String(source.typeId));
      load(`${endpoint}?${sp.toString()}`);
    }, 250);
    return () => clearTimeout(t);
  }, [q, key]);
  const people = fetcher.data?.people ?? initial;
  return (
    <Field id={id} label={label} required={required} error={error}>
      <input
        type="search"
        className="person-search"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        aria-label={`搜尋${label}（姓名或帳號）`}
        placeholder="輸入姓名或帳號搜尋"
        aria-controls={id}
      />
      <select name={name} defaultValue={defaultValue ?? ""} {...described(id, error)} key={`${key}:${people.length}`}>
        <option value="">{allowEmpty ?? "請選擇"}</option>
        {people.map((p) => (
          <option key={p.id} value={p.id}>
            {p.name}（{p.username}，{p.unitName}
            {p.title ? ` ${p.title}` : ""}）
          </option>
        ))}
      </select>
    </Field>
  );
}

/** 管理機關: a choice among the agencies I manage, or shown as text once it is fixed. */
export function AgencyField({
  managing,
  agencyLocked,
  defaultValue,
  error,
  onAgencyChange,
}: {
  managing: { id: number; name: string }[];
  agencyLocked?: string;
  defaultValue?: string;
  error?: string;
  onAgencyChange?: (id: number) => void;
}) {
  if (agencyLocked)
    return (
      <div className="field">
        <span className="field-label" id="f-agency-label">
          管理機關
        </span>
        <p className="field-static" aria-labelledby="f-agency-label">
          {agencyLocked}
        </p>
      </div>
    );
  return (
    <Field id="f-agencyId" label="管理機關" required error={error}>
      <select
        name="agencyId"
        defaultValue={defaultValue ?? ""}
        onChange={(e) => onAgencyChange?.(Number(e.target.value))}
        {...described("f-agencyId", error)}
      >
        {managing.length > 1 ? <option value="">請選擇</option> : null}
        {managing.map((a) => (
          <option key={a.id} value={a.id}>
            {a.name}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** 允許借用機關 / 允許派遣機關 with the other agencies added by + and removed by x. */
export function BorrowScopeField({
  kind,
  ...rest
}: {
  kind: ItemKind;
  agencies: { id: number; name: string }[];
  defaultScope: string;
  defaultListed: number[];
  errors: Record<string, string | undefined>;
}) {
  const verb = kinds[kind].verb;
  const labels = scopeLabels(verb);
  return (
    <AgencyScopeField
      name="borrowScope"
      legend={`允許${verb}機關`}
      options={(Object.keys(labels) as (keyof typeof labels)[]).map((s) => [s, labels[s]])}
      {...rest}
    />
  );
}

/**
 * A scope radio group (`name`) whose "listed" choice opens a list of other agencies, added by
 * + and removed by x (sent as listedAgencyIds). Items and repair types both use it.
 */
export function AgencyScopeField({
  name,
  legend,
  options,
  agencies,
  defaultScope,
  defaultListed,
  errors,
}: {
  name: string;
  legend: string;
  options: [value: string, text: string][];
  agencies: { id: number; name: string }[];
  defaultScope: string;
  defaultListed: number[];
  errors: Record<string, string | undefined>;
}) {
  const [scope, setScope] = useState(defaultScope);
  const [listed, setListed] = useState<number[]>(defaultListed);
  const [pick, setPick] = useState("");
  const baseId = useId();
  const nameOf = (id: number) => agencies.find((a) => a.id === id)?.name ?? String(id);
  const add = () => {
    const id = Number(pick);
    if (id && !listed.includes(id)) setListed([...listed, id]);
    setPick("");
  };
  return (
    <>
      <fieldset
        className={`field choice-group${errors[name] ? " field-invalid" : ""}`}
        aria-describedby={errors[name] ? `f-${name}-error` : undefined}
      >
        <legend>
          <span className="req" aria-hidden="true">
            *
          </span>
          {legend}
        </legend>
        {options.map(([value, text]) => (
          <label key={value} className="choice">
            <input type="radio" name={name} value={value} checked={scope === value} onChange={() => setScope(value)} />
            {text}
          </label>
        ))}
        {errors[name] ? (
          <p className="field-error" id={`f-${name}-error`}>
            {errors[name]}
          </p>
        ) : null}
      </fieldset>
      {scope === "listed" ? (
        <div className={`field${errors.listedAgencyIds ? " field-invalid" : ""}`}>
          <label htmlFor={`${baseId}-pick`}>其他機關</label>
          <div className="inline-add">
            <select
              id={`${baseId}-pick`}
              value={pick}
              onChange={(e) => setPick(e.target.value)}
              aria-describedby={errors.listedAgencyIds ? "f-listed-error" : undefined}
            >
              <option value="">請選擇機關</option>
              {agencies
                .filter((a) => !listed.includes(a.id))
                .map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
            </select>
            <button type="button" className="btn btn-small" onClick={add} aria-label="加入所選機關" disabled={!pick}>
              +
            </button>
          </div>
          {listed.length > 0 ? (
            <ul className="chips" aria-label="已加入的機關">
              {listed.map((id) => (
                <li key={id}>
                  {nameOf(id)}
                  <input type="hidden" name="listedAgencyIds" value={id} />
                  <button
                    type="button"
                    className="chip-x"
                    onClick={() => setListed(listed.filter((x) => x !== id))}
                    aria-label={`移除 ${nameOf(id)}`}
                  >
                    x
                  </button>
                </li>
              ))}
            </ul>
          ) : (
            <p className="empty">目前沒有資料</p>
          )}
          {errors.listedAgencyIds ? (
            <p className="field-error" id="f-listed-error">
              {errors.listedAgencyIds}
            </p>
          ) : null}
        </div>
      ) : null}
    </>
  );
}

export interface ItemFormValues {
  [key: string]: string | undefined;
}

/**
 * The data fields of a venue, car or driver (ITM-1..3), labelled as the manual does.
 * `agencyLocked` shows 管理機關 as text (it is fixed after creation).
 */
export function ItemFields({
  kind,
  values,
  errors,
  sites,
  managing,
  agencyLocked,
  onAgencyChange,
}: {
  kind: ItemKind;
  values: ItemFormValues;
  errors: Record<string, string | undefined>;
  sites: { id: number; name: string }[];
  managing: { id: number; name: string }[];
  agencyLocked?: string;
  onAgencyChange?: (id: number) => void;
}) {
  const k = kinds[kind];
  const text = (
    name: string,
    label: string,
    o: { required?: boolean; type?: string; inputMode?: "numeric" | "tel"; max?: number; hint?: string } = {},
  ) => {
    const id = `f-${name}`;
    return (
      <Field id={id} label={label} required={o.required} error={errors[name]} hint={o.hint}>
        <input
          name={name}
          type={o.type ?? "text"}
          inputMode={o.inputMode}
          defaultValue={values[name] ?? ""}
          maxLength={o.max}
          {...described(id, errors[name], o.hint)}
        />
      </Field>
    );
  };
  const area = (name: string, label: string) => {
    const id = `f-${name}`;
    return (
      <Field id={id} label={label} error={errors[name]}>
        <textarea name={name} rows={4} defaultValue={values[name] ?? ""} {...described(id, errors[name])} />
      </Field>
    );
  };
  return (
    <>
      <Field id="f-siteId" label="所在地" required error={errors.siteId}>
        <select name="siteId" defaultValue={values.siteId ?? ""} {...described("f-siteId", errors.siteId)}>
          <option value="">請選擇</option>
          {sites.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </Field>
      {kind === "venue" ? text("floor", "所在樓層", { required: true, max: 20 }) : null}
      {text("name", k.nameLabel, { required: true, max: 100 })}
      {kind === "car" ? (
        <>
          {text("plateNo", "車號", { required: true, max: 10, hint: "例如 RRR-0000" })}
          {text("passengerLimit", "乘客人數上限", { required: true, inputMode: "numeric" })}
        </>
      ) : null}
      <AgencyField
        managing={managing}
        agencyLocked={agencyLocked}
        defaultValue={values.agencyId}
        error={errors.agencyId}
        onAgencyChange={onAgencyChange}
      />
      {kind === "venue" ? text("capacity", "容納人數", { required: true, inputMode: "numeric" }) : null}
      {kind === "car" ? (
        <>
          {text("brand", "廠牌", { required: true, max: 50 })}
          {text("year", "年份", { required: true, inputMode: "numeric" })}
          {text("displacementCc", "排氣量", { required: true, inputMode: "numeric", hint: "單位：cc" })}
          {text("carNo", "公務車編號", { required: true, max: 30 })}
        </>
      ) : null}
      {kind === "driver" ? (
        <>
          {text("licence", "司機證照", { required: true, max: 50 })}
          {text("phone", "司機聯絡電話", { required: true, type: "tel", inputMode: "tel", max: 30 })}
        </>
      ) : null}
      {kind !== "driver" ? (
        <fieldset className={`field time-range${errors.openFrom || errors.openTo ? " field-invalid" : ""}`}>
          <legend>
            <span className="req" aria-hidden="true">
              *
            </span>
            開放借用時間
          </legend>
          <div className="inline-add">
            <input
              type="time"
              name="openFrom"
              step={1800}
              defaultValue={values.openFrom ?? ""}
              aria-label="開放借用時間（起）"
              {...described("f-openFrom", errors.openFrom)}
            />
            <span aria-hidden="true">－</span>
            <input
              type="time"
              name="openTo"
              step={1800}
              defaultValue={values.openTo ?? ""}
              aria-label="開放借用時間（迄）"
              {...described("f-openTo", errors.openTo)}
            />
          </div>
          {errors.openFrom ? (
            <p className="field-error" id="f-openFrom-error">
              {errors.openFrom}
            </p>
          ) : null}
          {errors.openTo ? (
            <p className="field-error" id="f-openTo-error">
              {errors.openTo}
            </p>
          ) : null}
        </fieldset>
      ) : null}
      {kind === "venue" ? (
        <>
          {text("phone", "場地電話", { type: "tel", inputMode: "tel", max: 30 })}
          {area("description", "場地描述")}
          {area("rules", "場地規範")}
        </>
      ) : (
        area("note", "備註")
      )}
      <fieldset className={`field choice-group${errors.isPublic ? " field-invalid" : ""}`}>
        <legend>
          <span className="req" aria-hidden="true">
            *
          </span>
          是否公開
        </legend>
        <label className="choice">
          <input
            type="radio"
            name="isPublic"
            value="true"
            defaultChecked={values.isPublic === "true"}
            aria-describedby={errors.isPublic ? "f-isPublic-error" : undefined}
          />
          是
        </label>
        <label className="choice">
          <input type="radio" name="isPublic" value="false" defaultChecked={values.isPublic === "false"} />否
        </label>
        {errors.isPublic ? (
          <p className="field-error" id="f-isPublic-error">
            {errors.isPublic}
          </p>
        ) : null}
      </fieldset>
    </>
  );
}

/** An item's current values as form strings. */
export function itemToValues(item: Record<string, unknown>): ItemFormValues {
  const s = (v: unknown) => (v === null || v === undefined ? "" : String(v));
  return {
    siteId: s(item.site_id),
    agencyId: s(item.agency_id),
    name: s(item.name),
    floor: s(item.floor),
    capacity: s(item.capacity),
    plateNo: s(item.plate_no),
    passengerLimit: s(item.passenger_limit),
    brand: s(item.brand),
    year: s(item.year),
    displacementCc: s(item.displacement_cc),
    carNo: s(item.car_no),
    licence: s(item.licence),
    phone: s(item.phone),
    openFrom: s(item.open_from).slice(0, 5),
    openTo: s(item.open_to).slice(0, 5),
    description: s(item.description),
    rules: s(item.rules),
    note: s(item.note),
    isPublic: item.is_public === true ? "true" : item.is_public === false ? "false" : "",
    borrowScope: s(item.borrow_scope),
  };
}

export const listedFromValues = (v: string | undefined) =>
  (v ?? "")
    .split(",")
    .map(Number)
    .filter((n) => Number.isSafeInteger(n) && n > 0);
