import type { LinksFunction } from "@remix-run/node";
import { Link, useSearchParams } from "@remix-run/react";
import { Fragment, type ReactNode, useId } from "react";
import { EmptyRow } from "~/components/empty-row";
import consoleStyles from "~/styles/console.css";

/**
 * The pieces every console list is made of (issue 16): the page shell with its breadcrumb and
 * result message, the GET filter form, the table with a caption and header scopes, the pager.
 * A list page composes them; what differs between pages is the columns and the filters.
 */

/** The console's stylesheet, the `links` of every console page. */
export const consoleLinks: LinksFunction = () => [{ rel: "stylesheet", href: consoleStyles }];

/** A page of rows as the BFF answers a list (paged in SQL, ARCHITECTURE rule 8). */
export interface Paged<R> {
  rows: R[];
  total: number;
  page: number;
  pageSize: number;
  /** The page sizes the list honours (`?size=`); absent, it has one size and no chooser. */
  pageSizes?: readonly number[];
}

/** A breadcrumb step: plain text, or a link. */
type Crumb = string | { to: string; label: string };

/** 管理主控台 page shell: breadcrumb (trail › here), the title with its buttons, then the page. */
export function ConsolePage(props: {
  trail: Crumb[];
  title: string;
  /** The breadcrumb's last step, when it is shorter than the title. */
  here?: string;
  /** Buttons beside the title (新增, 匯出, a link to a sibling page). */
  actions?: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        {props.trail.map((c) => (
          <Fragment key={typeof c === "string" ? c : c.to}>
            {typeof c === "string" ? c : <Link to={c.to}>{c.label}</Link>} ›{" "}
          </Fragment>
        ))}
        <span aria-current="page">{props.here ?? props.title}</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">{props.title}</h1>
        {props.actions}
      </div>
      {props.children}
    </div>
  );
}

/** What an action answered (or a flag in the URL after a redirect): success is a status, failure an alert. */
export function ResultAlert(props: {
  result: { ok: boolean; message: string } | null | undefined;
  id?: string;
  /** More under a failure's message (links to fix it). */
  children?: ReactNode;
}) {
  const r = props.result;
  if (!r) return null;
  return (
    <div className={`alert ${r.ok ? "alert-success" : "alert-error"}`} role={r.ok ? "status" : "alert"} id={props.id}>
      {r.message}
      {props.children}
    </div>
  );
}

/**
 * A list's GET filter form: a keyword, optional more fields, 查詢 and 消除條件, and a
 * 進階查詢 disclosure for the rest. Works without JavaScript.
 */
export function SearchForm(props: {
  /** The form's accessible name (e.g. 帳號查詢); a search landmark without one is named by the page. */
  label?: string;
  q: string;
  placeholder: string;
  /** The keyword's (hidden) label. */
  qLabel?: string;
  /** Say the placeholder again as a description, for readers that skip placeholders. */
  describe?: boolean;
  /** Query kept by the form (the current tab). */
  keep?: Record<string, string>;
  /** Where 消除條件 goes. */
  clearTo?: string;
  /** Fields after the keyword (a date range). */
  extra?: ReactNode;
  /** The 進階查詢 fields, and whether they start open. */
  advanced?: ReactNode;
  advancedOpen?: boolean;
}) {
  return (
    <form method="get" className="filters" role="search" aria-label={props.label}>
      {Object.entries(props.keep ?? {}).map(([k, v]) => (
        <input key={k} type="hidden" name={k} value={v} />
      ))}
      <label htmlFor="q" className="visually-hidden">
        {props.qLabel ?? "關鍵字"}
      </label>
      <input
        id="q"
        name="q"
        type="search"
        defaultValue={props.q}
        maxLength={50}
        placeholder={props.placeholder}
        aria-describedby={props.describe ? "q-hint" : undefined}
      />
      {props.describe ? (
        <span id="q-hint" className="visually-hidden">
          {props.placeholder}
        </span>
      ) : null}
      {props.extra}
      <button type="submit" className="btn btn-small btn-primary">
        查詢
      </button>
      <Link to={props.clearTo ?? "?"} className="btn btn-small">
        消除條件
      </Link>
      {props.advanced ? (
        <details className="disclosure" open={props.advancedOpen}>
          <summary className="btn btn-small">進階查詢</summary>
          {props.advanced}
        </details>
      ) : null}
    </form>
  );
}

/** A filter of one choice among a few, as radio buttons ("全部" first): works without JavaScript. */
export function RadioFilter(props: { legend: string; name: string; value: string; options: [string, string][] }) {
  return (
    <fieldset className="filter-range">
      <legend>{props.legend}</legend>
      <label className="choice">
        <input type="radio" name={props.name} value="" defaultChecked={props.value === ""} />
        全部
      </label>
      {props.options.map(([v, text]) => (
        <label key={v} className="choice">
          <input type="radio" name={props.name} value={v} defaultChecked={props.value === v} />
          {text}
        </label>
      ))}
    </fieldset>
  );
}

/** A date range (起 ～ 迄) on `<prefix>from` / `<prefix>to`. */
export function DateRange(props: { label: string; prefix?: string; from: string; to: string }) {
  const id = useId();
  const p = props.prefix ?? "";
  return (
    <fieldset className="filter-range">
      <legend>{props.label}</legend>
      <label htmlFor={`${id}-from`} className="visually-hidden">
        {props.label}（起）
      </label>
      <input id={`${id}-from`} type="date" name={`${p}from`} defaultValue={props.from} />
      <span aria-hidden="true">～</span>
      <label htmlFor={`${id}-to`} className="visually-hidden">
        {props.label}（迄）
      </label>
      <input id={`${id}-to`} type="date" name={`${p}to`} defaultValue={props.to} />
    </fieldset>
  );
}

/** A GET filter on a date range (執行時間 / 異動時間 / 登入時間), keeping the tab; `children` adds 進階查詢. */
export function RangeFilter(props: {
  label: string;
  tab: string;
  prefix?: string;
  from: string;
  to: string;
  children?: ReactNode;
}) {
  return (
    <form method="get" className="filters" aria-label={`${props.label}查詢`}>
      <input type="hidden" name="tab" value={props.tab} />
      <DateRange label={props.label} prefix={props.prefix} from={props.from} to={props.to} />
      {props.children}
      <button type="submit" className="btn btn-small btn-primary">
        查詢
      </button>
      <Link to={`?tab=${props.tab}`} className="btn btn-small">
        消除條件
      </Link>
    </form>
  );
}

/** One column of a DataTable. */
export interface Column<R> {
  /** The header; also the cell's data-label, which the phone layout shows beside the value. */
  header: string;
  cell: (row: R) => ReactNode;
  /** A header only screen readers read (操作, 勾選); its cells carry no data-label. */
  hiddenHeader?: boolean;
  /** The cell is the row's header (`<th scope="row">`). */
  rowHeader?: boolean;
  className?: (row: R) => string | undefined;
  /** false leaves the column out (a column only system admins see). */
  show?: boolean;
}

/**
 * The 勾選 column of a list with a batch action: a checkbox `ids` per row, ticked again after a
 * refused batch (`selected`, the ids it sent back).
 */
export function checkColumn<R extends { id: number }>(selected: Set<string>, name: (row: R) => string): Column<R> {
  return {
    header: "勾選",
    hiddenHeader: true,
    cell: (r) => (
      <input
        type="checkbox"
        name="ids"
        value={r.id}
        defaultChecked={selected.has(String(r.id))}
        aria-label={`勾選 ${name(r)}`}
      />
    ),
  };
}

/** A data table: hidden caption, `scope`d headers, labelled cells and one row when there is nothing. */
export function DataTable<R>(props: {
  caption: ReactNode;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R) => string | number;
  /** What the empty row says (目前沒有資料 unless told). */
  empty?: ReactNode;
}) {
  const columns = props.columns.filter((c) => c.show !== false);
  return (
    <div className="table-wrap">
      <table className="data-table">
        <caption className="visually-hidden">{props.caption}</caption>
        <thead>
          <tr>
            {columns.map((c, i) => (
              <th key={i} scope="col">
                {c.hiddenHeader ? <span className="visually-hidden">{c.header}</span> : c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.length === 0 ? (
            <EmptyRow colSpan={columns.length}>{props.empty}</EmptyRow>
          ) : (
            props.rows.map((r) => (
              <tr key={props.rowKey(r)}>
                {columns.map((c, i) => {
                  const Cell = c.rowHeader ? "th" : "td";
                  return (
                    <Cell
                      key={i}
                      scope={c.rowHeader ? "row" : undefined}
                      data-label={c.hiddenHeader || c.rowHeader ? undefined : c.header}
                      className={c.className?.(r)}
                    >
                      {c.cell(r)}
                    </Cell>
                  );
                })}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </div>
  );
}

/** A DataTable with its pager under it. */
export function PagedTable<R>(
  props: Omit<Parameters<typeof DataTable<R>>[0], "rows"> & { list: Paged<R>; param?: string },
) {
  const { list, param, ...table } = props;
  return (
    <>
      <DataTable {...table} rows={list.rows} />
      <Pager total={list.total} page={list.page} pageSize={list.pageSize} param={param} sizes={list.pageSizes} />
    </>
  );
}

/**
 * 「總計 N 筆，每頁顯示 10 筆」「顯示 N 筆中的 X 到 Y 筆」 and page links that keep the filters.
 * `param` names the page's query parameter when a page holds several lists; those links keep
 * the scroll position, since the list is not at the top of the page.
 */
export function Pager({
  total,
  page,
  pageSize,
  param = "page",
  sizes,
}: {
  total: number;
  page: number;
  pageSize: number;
  param?: string;
  /** Offered page sizes: links that keep the filters and start again at page 1. */
  sizes?: readonly number[];
}) {
  const [params] = useSearchParams();
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const from = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const to = Math.min(total, page * pageSize);
  const href = (p: number) => {
    const next = new URLSearchParams(params);
    next.set(param, String(p));
    // A page link closes an open detail dialog.
    next.delete("detail");
    next.delete("record");
    return `?${next.toString()}`;
  };
  const keepScroll = param !== "page";
  const around = [...new Set([1, page - 1, page, page + 1, pages])]
    .filter((p) => p >= 1 && p <= pages)
    .sort((a, b) => a - b);
  const link = (p: number, text: ReactNode, label: string) => (
    <Link to={href(p)} preventScrollReset={keepScroll} aria-label={label}>
      {text}
    </Link>
  );
  return (
    <div className="pager">
      <p className="pager-summary">
        {`總計 ${total} 筆，每頁顯示 ${pageSize} 筆`}
        {total > 0 ? (
          <>
            <br />
            {`顯示 ${total} 筆中的 ${from} 到 ${to} 筆`}
          </>
        ) : null}
      </p>
      {pages > 1 ? (
        <nav aria-label="分頁">
          <ul className="pager-links">
            {page > 1 ? <li>{link(page - 1, "‹", "上一頁")}</li> : null}
            {around.map((p) => (
              <li key={p}>{p === page ? <span aria-current="page">{p}</span> : link(p, p, `第 ${p} 頁`)}</li>
            ))}
            {page < pages ? <li>{link(page + 1, "›", "下一頁")}</li> : null}
          </ul>
        </nav>
      ) : null}
      {sizes && param === "page" ? <SizeChooser sizes={sizes} current={pageSize} params={params} /> : null}
    </div>
  );
}

/** 「每頁顯示 10 | 20 | 50 筆」: plain links (they work before scripts load). */
function SizeChooser({
  sizes,
  current,
  params,
}: {
  sizes: readonly number[];
  current: number;
  params: URLSearchParams;
}) {
  const href = (n: number) => {
    const next = new URLSearchParams(params);
    next.set("size", String(n));
    next.delete("page");
    return `?${next.toString()}`;
  };
  return (
    <nav aria-label="每頁筆數" className="pager-sizes">
      每頁顯示
      {sizes.map((n) => (
        <span key={n}>
          {" "}
          {n === current ? (
            <span aria-current="true">{n}</span>
          ) : (
            <Link to={href(n)} aria-label={`每頁顯示 ${n} 筆`}>
              {n}
            </Link>
          )}
        </span>
      ))}{" "}
      筆
    </nav>
  );
}
