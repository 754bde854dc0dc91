import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { EmptyRow } from "~/components/empty-row";
import { FormMessage } from "~/components/forms";
import consoleStyles from "~/styles/console.css";
import paramsStyles from "~/styles/params.css";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [
  { rel: "stylesheet", href: consoleStyles },
  { rel: "stylesheet", href: paramsStyles },
];
export const meta: MetaFunction = () => [{ title: "系統參數管理 | 臺南市政府公務入口網" }];

/** PRT-5 系統參數管理: system admins only (the BFF answers anyone else "not found": 404). */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json(await load(() => context.services.params.overview(actor)));
}

/** One parameter per submit; a refusal keeps what was typed, a success redirects with a flash. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["key", "version", "value"]);
  try {
    const saved = await context.services.params.update(actor, values);
    return redirectWithFlash(
      context,
      "/admin/params",
      saved.changed ? `已更新「${saved.label}」` : { kind: "info", message: `「${saved.label}」未變更` },
    );
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function SystemParams() {
  const { params, changes, cacheSeconds } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const nav = useNavigation();
  const busyKey = nav.state === "submitting" ? nav.formData?.get("key") : null;
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/admin">管理主控台</Link> › <span aria-current="page">系統參數管理</span>
      </nav>
      <div className="page-head">
        <h1 className="page-title">系統參數管理</h1>
      </div>
      <p className="params-lead muted">
        {cacheSeconds > 0
          ? `儲存後立即於本伺服器生效，其他伺服器於 ${cacheSeconds} 秒內生效，不需重新啟動。`
          : "儲存後立即於所有伺服器生效，不需重新啟動。"}
        每次異動都會記錄於下方的異動紀錄。
      </p>
      <FormMessage id="params-error" message={failure?.message} />
      <section className="card">
        <div className="table-wrap">
          <table className="data-table params-table">
            <caption className="visually-hidden">系統參數</caption>
            <thead>
              <tr>
                <th scope="col">參數</th>
                <th scope="col">目前設定</th>
                <th scope="col">允許範圍</th>
                <th scope="col">預設值</th>
                <th scope="col">修改</th>
              </tr>
            </thead>
            <tbody>
              {params.map((p) => {
                const mine = failure?.values.key === p.key ? failure : undefined;
                const error = mine?.fields.value;
                const inputId = `param-${p.key}`;
                const hintId = `${inputId}-hint`;
                const describedBy = [error ? `${inputId}-error` : null, p.kind === "date" ? hintId : null]
                  .filter(Boolean)
                  .join(" ");
                return (
                  <tr key={p.key}>
                    <th scope="row">
                      {p.label}
                      <p className="param-meaning">{p.meaning}</p>
                    </th>
                    <td data-label="目前設定">
                      {p.value}
                      {p.storedInvalid ? (
                        <span className="param-warning">資料庫中的值不在允許範圍內，暫用預設值</span>
                      ) : null}
                    </td>
                    <td data-label="允許範圍">{p.range}</td>
                    <td data-label="預設值">{p.default}</td>
                    <td data-label="修改">
                      <div className="param-edit">
                        <Form method="post" noValidate className="param-form" aria-label={`修改${p.label}`}>
                          <input type="hidden" name="key" value={p.key} />
                          <input type="hidden" name="version" value={p.version} />
                          <label htmlFor={inputId} className="visually-hidden">
                            {`新的${p.label}`}
                          </label>
                          <input
                            // A new version (saved here or elsewhere) redraws the field with the value now in force.
                            key={`${p.key}-${p.version}`}
                            id={inputId}
                            name="value"
                            type={p.kind === "date" ? "date" : "text"}
                            inputMode={p.kind === "number" || p.kind === "duration" ? "numeric" : undefined}
                            min={p.kind === "date" ? (p.min ?? undefined) : undefined}
                            max={p.kind === "date" ? (p.max ?? undefined) : undefined}
                            maxLength={p.kind === "text" ? Number(p.max) : 40}
                            autoComplete="off"
                            defaultValue={mine ? mine.values.value : p.input}
                            aria-invalid={error ? true : undefined}
                            aria-describedby={describedBy || undefined}
                          />
                          {p.unit ? <span>{p.unit}</span> : null}
                          <button type="submit" className="btn btn-small btn-primary" disabled={busyKey === p.key}>
                            儲存
                          </button>
                          {p.kind === "date" ? (
                            <p className="field-hint" id={hintId}>
                              清除日期後儲存即為不設定
                            </p>
                          ) : null}
                          {error ? (
                            <p className="field-error" id={`${inputId}-error`}>
                              {error}
                            </p>
                          ) : null}
                        </Form>
                        {p.updatedAt ? (
                          <p className="field-hint">
                            {formatDateTime(p.updatedAt)} 由 {p.updatedByName} 修改
                          </p>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card" aria-labelledby="param-changes">
        <h2 id="param-changes">系統參數異動紀錄</h2>
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">最近 {changes.length} 筆系統參數異動</caption>
            <thead>
              <tr>
                <th scope="col">異動時間</th>
                <th scope="col">異動者</th>
                <th scope="col">參數</th>
                <th scope="col">異動內容</th>
              </tr>
            </thead>
            <tbody>
              {changes.length === 0 ? (
                <EmptyRow colSpan={4}>尚無異動紀錄</EmptyRow>
              ) : (
                changes.map((c) => (
                  <tr key={c.id}>
                    <td data-label="異動時間">{formatDateTime(c.at)}</td>
                    <td data-label="異動者">{c.actor}</td>
                    <td data-label="參數">{c.label}</td>
                    <td data-label="異動內容" className="param-change">
                      {c.before} → {c.after}
                    </td>
                  </tr>
                ))
              )}
            </tbody>
          </table>
        </div>
      </section>
    </div>
  );
}
