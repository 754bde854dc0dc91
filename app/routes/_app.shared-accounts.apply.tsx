import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { FormMessage, SelectField, TextAreaField, TextField } from "~/components/forms";
import { sharedTypeLabels } from "~/components/shared-accounts";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "機關及資訊系統帳號申請 | 臺南市政府公務入口網" }];

const FIELDS = ["type", "username", "name", "purpose"];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({ applicant: actor.name });
}

/** ACC-14: for my agency, held by me, waiting for my agency admin's review (ACC-15). */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), FIELDS);
  try {
    await context.services.sharedAccounts.apply(actor, values);
    return redirectWithFlash(context, "/shared-accounts", "申請已送出，待機關管理者審核。");
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function ApplySharedAccount() {
  const { applicant } = useLoaderData<typeof loader>();
  const failed = useActionData<typeof action>();
  const busy = useNavigation().state === "submitting";
  const v = failed?.values ?? {};
  const err = failed?.fields ?? {};
  return (
    <div className="narrow">
      <nav aria-label="頁面位置" className="breadcrumb">
        <Link to="/shared-accounts">我的機關及資訊系統帳號管理</Link> › <span aria-current="page">申請</span>
      </nav>
      <h1 className="page-title">機關及資訊系統帳號申請</h1>
      <p className="muted">
        申請的帳號屬於您的機關，由您（{applicant}）擔任保管人；機關管理者審核通過後，密碼將寄至您的信箱。
      </p>
      <FormMessage id="apply-error" message={failed?.message} />
      <Form method="post" className="card" aria-describedby={failed ? "apply-error" : undefined}>
        <SelectField
          label="帳號類型"
          name="type"
          defaultValue={v.type ?? ""}
          error={err.type}
          required
          options={[
            { value: "", label: "請選擇" },
            ...Object.entries(sharedTypeLabels).map(([value, l]) => ({ value, label: l })),
          ]}
        />
        <TextField
          label="希望使用的帳號"
          name="username"
          defaultValue={v.username ?? ""}
          error={err.username}
          hint="3 到 20 個小寫英文字母、數字或 . _ -"
          autoComplete="off"
          autoCapitalize="none"
          maxLength={20}
          required
        />
        <TextField label="帳號名稱" name="name" defaultValue={v.name ?? ""} error={err.name} maxLength={50} required />
        <TextAreaField
          label="用途說明"
          name="purpose"
          defaultValue={v.purpose ?? ""}
          error={err.purpose}
          rows={3}
          maxLength={500}
          required
        />
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          送出申請
        </button>
      </Form>
    </div>
  );
}
