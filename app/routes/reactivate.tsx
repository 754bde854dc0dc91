import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData } from "@remix-run/react";
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
import { valuesOf } from "~/utils/applications";
import { accountFieldKeys, proofSteps, stepFailure } from "~/utils/applications.server";
import { formValues, readForm } from "~/utils/errors.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "個人帳號復用 | 臺南市政府公務入口網" }];

export async function loader({ context }: LoaderFunctionArgs) {
  return json({ org: await context.services.applications.orgChoices() });
}

/** ACC-6: a disabled account proves its backup address, updates its details and asks for review. */
export async function action({ request, context }: ActionFunctionArgs) {
  const flows = context.services.applications.signedOut;
  const form = await readForm(request);
  const step = await proofSteps("reactivate", form, request, context, async (proof) => {
    const account = await flows.reactivationAccount(proof);
    return { values: valuesOf(account), username: account.username };
  });
  if (step) return step;
  const values = formValues(form, [...accountFieldKeys, "proof", "email", "fixedUsername"]);
  const base: StepData = {
    step: "form",
    proof: values.proof,
    email: values.email,
    username: values.fixedUsername,
    values: { ...values, username: values.fixedUsername ?? "" },
  };
  try {
    const { reviewer } = await flows.reactivate(values);
    return json<StepData>({ ok: true, step: "done", reviewer });
  } catch (e) {
    return stepFailure(e, base);
  }
}

export default function Reactivate() {
  const { org } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as StepData | undefined;
  return (
    <SignedOutCard title="個人帳號復用" wide>
      {!data?.step ? (
        <EmailStep
          data={data}
          withUsername
          intro="已停用的帳號可申請復用：請輸入帳號及登記的備用信箱，我們會寄送驗證碼。"
        />
      ) : data.step === "code" ? (
        <CodeStep data={data} withUsername />
      ) : data.step === "form" ? (
        <Form method="post" noValidate>
          <FormMessage id="re-error" message={data.ok === false ? data.message : undefined} />
          <p>請確認並更新您的資料，送出後由所選單位的機關管理者審核。</p>
          <input type="hidden" name="intent" value="submit" />
          <input type="hidden" name="proof" value={data.proof ?? ""} />
          <input type="hidden" name="email" value={data.email ?? ""} />
          <input type="hidden" name="fixedUsername" value={data.username ?? ""} />
          <AccountFields org={org} values={data.values ?? {}} fields={data.fields ?? {}} usernameFixed />
          <button type="submit" className="btn btn-primary btn-block">
            送出復用申請
          </button>
        </Form>
      ) : (
        <div className="alert alert-success" role="status">
          復用申請已送出，{reviewerText(data.reviewer, "所選單位的機關")}審核結果會以電子郵件通知您。
        </div>
      )}
    </SignedOutCard>
  );
}
