import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import {
  AccountFields,
  CodeStep,
  EmailStep,
  reviewerText,
  SignedOutCard,
  type StepData,
} from "~/components/applications";
import { FormMessage } from "~/components/forms";
import styles from "~/styles/applications.css";
import { accountFieldKeys, proofSteps, stepFailure } from "~/utils/applications.server";
import { formValues, readForm } from "~/utils/errors.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "個人帳號申請 | 臺南市政府公務入口網" }];

export async function loader({ context }: LoaderFunctionArgs) {
  return json({ org: await context.services.applications.orgChoices() });
}

/** ACC-1: prove the backup address, then the application; it waits for the agency admin. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const step = await proofSteps("apply", form, request, context);
  if (step) return step;
  const values = formValues(form, [...accountFieldKeys, "proof", "email"]);
  const base: StepData = {
    step: "form",
    proof: values.proof,
    email: values.email,
    values: { ...values, backupEmail: values.email ?? "" },
  };
  try {
    const { reviewer } = await context.services.applications.signedOut.apply({ ...values, backupEmail: undefined });
    return json<StepData>({ ok: true, step: "done", email: values.email, reviewer });
  } catch (e) {
    return stepFailure(e, base);
  }
}

export default function Apply() {
  const { org } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as StepData | undefined;
  return (
    <SignedOutCard title="個人帳號申請" wide>
      <ol className="steps" aria-label="申請步驟">
        <li aria-current={!data?.step ? "step" : undefined}>驗證信箱</li>
        <li aria-current={data?.step === "code" ? "step" : undefined}>輸入驗證碼</li>
        <li aria-current={data?.step === "form" ? "step" : undefined}>填寫資料</li>
      </ol>
      {!data?.step ? (
        <EmailStep data={data} intro="請先驗證您的備用信箱（非公務郵件），我們會寄送 6 位數驗證碼。" />
      ) : data.step === "code" ? (
        <CodeStep data={data} />
      ) : data.step === "form" ? (
        <Form method="post" noValidate aria-describedby={data.ok === false ? "apply-error" : undefined}>
          <FormMessage id="apply-error" message={data.ok === false ? data.message : undefined} />
          <input type="hidden" name="intent" value="submit" />
          <input type="hidden" name="proof" value={data.proof ?? ""} />
          <input type="hidden" name="email" value={data.email ?? ""} />
          <AccountFields
            org={org}
            values={{ ...data.values, backupEmail: data.email ?? "" }}
            fields={data.fields ?? {}}
            emailFixed
          />
          <button type="submit" className="btn btn-primary btn-block">
            送出申請
          </button>
        </Form>
      ) : (
        <div className="alert alert-success" role="status">
          <p>申請已送出，{reviewerText(data.reviewer)}</p>
          <p>審核通過後，開通帳號的連結會寄到 {data.email}。審核前如需修改，請使用「修改個人帳號申請內容」。</p>
          <p>
            <Link to="/apply/edit">修改個人帳號申請內容</Link>
          </p>
        </div>
      )}
    </SignedOutCard>
  );
}
