import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { ConfirmAction } from "~/components/confirm-dialog";
import { EmptyRow } from "~/components/empty-row";
import { FormMessage, SelectField, TextField } from "~/components/forms";
import { ssoLinks } from "~/components/sso";
import { formFailure, formValues, load, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const links = ssoLinks;
export const meta: MetaFunction = () => [{ title: "首頁應用程式管理 | 臺南市政府公務入口網" }];

const FIELDS = ["id", "kind", "clientId", "label", "icon", "url", "sort", "visible"];

/** IDN-8 首頁應用程式管理: which systems and links appear in the app list, in what order. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json(await load(() => context.services.appList.adminList(actor)));
}

const SAVED: Record<string, string> = { add: "已新增。", save: "已儲存。", remove: "已刪除。" };

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const appList = context.services.appList;
  const form = await readForm(request);
  const intent = form.get("intent");
  const values = formValues(form, FIELDS);
  try {
    if (intent === "add") await appList.add(actor, values);
    else if (intent === "save") await appList.update(actor, values.id, values);
    else if (intent === "remove") await appList.remove(actor, values.id);
    else throw new Response("找不到資料", { status: 404 });
    return redirectWithFlash(context, "/admin/apps", SAVED[intent]!);
  } catch (e) {
    return formFailure(e, { ...values, intent: String(intent) });
  }
}

export default function AdminApps() {
  const { entries, systems } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const nav = useNavigation();
  const adding = failure?.values.intent === "add" ? failure : undefined;
  const rowFailure = failure && !adding ? failure : undefined;
  const addErrors: Record<string, string> = adding?.fields ?? {};
  return (
    <div className="console">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/apps">應用程式列表</Link> › <span aria-current="page">首頁應用程式管理</span>
      </nav>
      <h1 className="page-title">首頁應用程式管理</h1>
      <FormMessage
        id="row-error"
        message={rowFailure ? `${rowFailure.message}${Object.values(rowFailure.fields).join("；")}` : undefined}
      />
      <section className="card">
        <div className="table-wrap">
          <table className="data-table">
            <caption className="visually-hidden">應用程式列表項目</caption>
            <thead>
              <tr>
                <th scope="col">排序</th>
                <th scope="col">圖示</th>
                <th scope="col">名稱</th>
                <th scope="col">開啟方式</th>
                <th scope="col">顯示</th>
                <th scope="col">
                  <span className="visually-hidden">操作</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {entries.length === 0 ? (
                <EmptyRow colSpan={6} />
              ) : (
                entries.map((e) => {
                  const f = `entry-${e.id}`;
                  return (
                    <tr key={e.id}>
                      <td>
                        <Form method="post" id={f} className="sso-inline-form">
                          <input type="hidden" name="id" value={e.id} />
                        </Form>
                        <input
                          form={f}
                          name="sort"
                          inputMode="numeric"
                          className="sso-row-input-narrow"
                          aria-label={`${e.label} 排序`}
                          defaultValue={String(e.sort)}
                        />
                      </td>
                      <td>
                        <input
                          form={f}
                          name="icon"
                          maxLength={2}
                          className="sso-row-input-narrow"
                          aria-label={`${e.label} 圖示文字`}
                          defaultValue={e.icon}
                        />
                      </td>
                      <td>
                        <input
                          form={f}
                          name="label"
                          maxLength={30}
                          className="sso-row-input"
                          aria-label={`${e.label} 名稱`}
                          defaultValue={e.label}
                        />
                      </td>
                      <td>
                        {e.client_id ? (
                          <>
                            轉登：<Link to={`/admin/sso-clients/${e.client_id}`}>{e.systemName}</Link>
                            {!e.systemEnabled
                              ? "（已停用，不顯示）"
                              : !e.initiate_login_uri
                                ? "（未設定登入起始網址，不顯示）"
                                : ""}
                          </>
                        ) : (
                          <input
                            form={f}
                            name="url"
                            type="url"
                            maxLength={500}
                            className="sso-row-input"
                            aria-label={`${e.label} 連結網址`}
                            defaultValue={e.url ?? ""}
                          />
                        )}
                      </td>
                      <td>
                        <input
                          form={f}
                          type="checkbox"
                          name="visible"
                          aria-label={`顯示 ${e.label}`}
                          defaultChecked={e.visible}
                        />
                      </td>
                      <td>
                        <button
                          form={f}
                          type="submit"
                          name="intent"
                          value="save"
                          className="btn btn-small btn-primary"
                          disabled={nav.state !== "idle"}
                        >
                          儲存
                        </button>{" "}
                        <ConfirmAction
                          name={`remove-${e.id}`}
                          label="刪除"
                          small
                          ariaLabel={`刪除 ${e.label}`}
                          title={`確定要刪除「${e.label}」嗎？`}
                          consequence="此項目將立即從所有人的應用程式列表移除，無法復原；如仍需要，須重新新增。"
                          fields={{ intent: "remove", id: e.id }}
                        />
                      </td>
                    </tr>
                  );
                })
              )}
            </tbody>
          </table>
        </div>
      </section>
      <section className="card narrow" aria-labelledby="add-title">
        <h2 id="add-title">新增項目</h2>
        <FormMessage id="add-error" message={adding?.message} />
        <Form method="post" noValidate className="item-form">
          <SelectField
            label="類型"
            name="kind"
            defaultValue={adding?.values.kind ?? "system"}
            error={addErrors.kind}
            options={[
              { value: "system", label: "已註冊系統（轉登）" },
              { value: "link", label: "一般連結" },
            ]}
          />
          <SelectField
            label="系統（類型為已註冊系統時）"
            name="clientId"
            defaultValue={adding?.values.clientId ?? ""}
            error={addErrors.clientId}
            options={[
              { value: "", label: "請選擇" },
              ...systems.map((s) => ({
                value: s.client_id,
                label: `${s.name}${s.initiate_login_uri ? "" : "（未設定登入起始網址）"}${s.enabled ? "" : "（已停用）"}`,
              })),
            ]}
          />
          <TextField
            label="連結網址（類型為一般連結時）"
            name="url"
            type="url"
            maxLength={500}
            defaultValue={adding?.values.url}
            error={addErrors.url}
          />
          <TextField
            label="名稱"
            name="label"
            required
            maxLength={30}
            defaultValue={adding?.values.label}
            error={addErrors.label}
          />
          <TextField
            label="圖示文字（最多 2 字，留空取名稱首字）"
            name="icon"
            maxLength={2}
            defaultValue={adding?.values.icon}
            error={addErrors.icon}
          />
          <TextField
            label="排序（小的在前）"
            name="sort"
            inputMode="numeric"
            defaultValue={adding?.values.sort ?? String((entries.at(-1)?.sort ?? 0) + 10)}
            error={addErrors.sort}
          />
          <label className="choice">
            <input type="checkbox" name="visible" defaultChecked={adding ? adding.values.visible === "on" : true} />
            顯示於應用程式列表
          </label>
          <div className="actions">
            <button type="submit" name="intent" value="add" className="btn btn-primary" disabled={nav.state !== "idle"}>
              新增
            </button>
          </div>
        </Form>
      </section>
    </div>
  );
}
