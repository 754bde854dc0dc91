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
export const meta: MetaFunction = () => [{ title: "修改個人帳號申請內容 | 臺南市政府公務入口網" }];

export async function loader({ context }: LoaderFunctionArgs) {
  return json({ org: await context.services.applications.orgChoices() });
}

/** ACC-2: prove the same backup address again, then edit the application while 未審核. */
export async function action({ request, context }: ActionFunctionArgs) {
  const flows = context.services.applications.signedOut;
  const form = await readForm(request);
  const step = await proofSteps("edit", form, request, context, async (proof) => {
    const app = await flows.pendingFor(proof);
    return { values: valuesOf(app), username: app.type === "reactivation" ? app.username : undefined };
  });
  if (step) return step;
  const values = formValues(form, [...accountFieldKeys, "proof", "email", "fixedUsername"]);
  const base: StepData = {
    step: "form",
    proof: values.proof,
    email: values.email,
    username: values.fixedUsername || undefined,
    values: { ...values, backupEmail: values.email ?? "", username: values.fixedUsername || (values.username ?? "") },
  };
  try {
    const { reviewer } = await flows.editPending(values);
    return json<StepData>({ ok: true, step: "done", reviewer });
  } catch (e) {
    return stepFailure(e, base);
  }
}

export default function EditApplication() {
  const { org } = useLoaderData<typeof loader>();
  const data = useActionData<typeof action>() as StepData | undefined;
  return (
    <SignedOutCard title="修改個人帳號申請內容" wide>
      {!data?.step ? (
        <EmailStep data={data} intro="請輸入申請時驗證的備用信箱；審核前的申請可以修改。" />
      ) : data.step === "code" ? (
        <CodeStep data={data} />
      ) : data.step === "form" ? (
        <Form method="post" noValidate>
          <FormMessage id="edit-error" message={data.ok === false ? data.message : undefined} />
          <input type="hidden" name="intent" value="submit" />
          <input type="hidden" name="proof" value={data.proof ?? ""} />
          <input type="hidden" name="email" value={data.email ?? ""} />
          <input type="hidden" name="fixedUsername" value={data.username ?? ""} />
          <AccountFields
            org={org}
            values={{ ...data.values, backupEmail: data.email ?? "" }}
            fields={data.fields ?? {}}
            usernameFixed={Boolean(data.username)}
            emailFixed
          />
          <button type="submit" className="btn btn-primary btn-block">
            儲存修改
          </button>
        </Form>
      ) : (
        <div className="alert alert-success" role="status">
          申請內容已更新，{reviewerText(data.reviewer)}
        </div>
      )}
    </SignedOutCard>
  );
}
