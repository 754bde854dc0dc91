import type { ActionFunctionArgs, LinksFunction, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useSearchParams } from "@remix-run/react";
import { CodeStep, EmailStep, NewPasswordFields, SignedOutCard, type StepData } from "~/components/applications";
import { FormMessage } from "~/components/forms";
import styles from "~/styles/applications.css";
import { proofSteps, stepFailure } from "~/utils/applications.server";
import { formValues, readForm } from "~/utils/errors.server";
import { withRedirect } from "~/utils/signin-links";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "忘記密碼 | 臺南市政府公務入口網" }];

/** Forgot password: the backup address proves who you are; then a new password under the policy. */
export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const step = await proofSteps("reset", form, request, context);
  if (step) return step;
  const values = formValues(form, ["proof", "email"]);
  try {
    const r = await context.services.applications.signedOut.resetPassword({
      proof: values.proof,
      password: form.get("password"),
      confirm: form.get("confirm"),
    });
    return json<StepData>({ ok: true, step: "done", username: r.username });
  } catch (e) {
    // Passwords are never sent back.
    return stepFailure(e, { step: "form", proof: values.proof, email: values.email, values: {} });
  }
}

export default function ForgotPassword() {
  const data = useActionData<typeof action>() as StepData | undefined;
  // From the single sign-on page: signing in afterwards returns there (/login checks the path).
  const [params] = useSearchParams();
  return (
    <SignedOutCard title="忘記密碼">
      {!data?.step ? (
        <EmailStep data={data} withUsername intro="請輸入帳號及登記的備用信箱，我們會寄送驗證碼以重設密碼。" />
      ) : data.step === "code" ? (
        <CodeStep data={data} withUsername />
      ) : data.step === "form" ? (
        <Form method="post" noValidate>
          <FormMessage id="reset-error" message={data.ok === false ? data.message : undefined} />
          <input type="hidden" name="proof" value={data.proof ?? ""} />
          <input type="hidden" name="email" value={data.email ?? ""} />
          <NewPasswordFields fields={data.fields ?? {}} />
          <button type="submit" className="btn btn-primary btn-block">
            重設密碼
          </button>
        </Form>
      ) : (
        <div className="alert alert-success" role="status">
          <p>密碼已重設，其他裝置上的登入已登出。</p>
          <p>
            <Link to={withRedirect("/login", params.get("redirectTo"))}>前往登入</Link>
          </p>
        </div>
      )}
    </SignedOutCard>
  );
}
