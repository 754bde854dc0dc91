import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { OfficeContactFields } from "~/components/applications";
import { FormMessage, TextField } from "~/components/forms";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "修改個人資料 | 臺南市政府公務入口網" }];

const KEYS = ["title", "officePhone", "officeExt", "workAddress", "backupEmail"];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const me = await context.services.applications.self.me(actor);
  return json({
    username: me.username,
    name: me.name,
    values: {
      title: me.title,
      officePhone: me.office_phone,
      officeExt: me.office_ext,
      workAddress: me.work_address,
      backupEmail: me.backup_email ?? "",
    },
  });
}

/** ACC-19: my own data. Name, unit and role change through an admin or an application. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, KEYS);
  try {
    const r = await context.services.applications.self.updateMyData(actor, {
      ...values,
      currentPassword: form.get("currentPassword"),
    });
    return redirectWithFlash(
      context,
      "/me/profile",
      r.changed > 0 ? "個人資料已更新。" : { kind: "info", message: "資料沒有變更。" },
    );
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function MyProfile() {
  const { username, name, values } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const v = failure?.values ?? values;
  const f = failure?.fields ?? {};
  return (
    <div className="narrow">
      <h1 className="page-title">修改個人資料</h1>
      <FormMessage id="profile-error" message={failure?.message} />
      <section className="card" aria-label="個人資料">
        <p>
          {name}（{username}）。姓名、單位或權限的異動請洽機關管理者，或<Link to="/me/applications">提出申請</Link>。
        </p>
        <Form method="post" noValidate>
          <TextField label="職稱" name="title" maxLength={50} defaultValue={v.title} error={f.title} required />
          <OfficeContactFields values={v} fields={f} />
          <TextField
            label="備用信箱"
            name="backupEmail"
            type="email"
            autoComplete="email"
            hint="用於忘記密碼及帳號復用；變更時需輸入目前密碼。"
            defaultValue={v.backupEmail}
            error={f.backupEmail}
          />
          <TextField
            label="目前密碼（僅變更備用信箱時需要）"
            name="currentPassword"
            type="password"
            autoComplete="current-password"
            error={f.currentPassword}
          />
          <button type="submit" className="btn btn-primary">
            儲存
          </button>
        </Form>
      </section>
      <p>
        <Link to="/me">回我的帳號</Link>
      </p>
    </div>
  );
}
