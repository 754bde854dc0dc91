import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { NewPasswordFields, SignedOutCard } from "~/components/applications";
import { FormMessage, TextField } from "~/components/forms";
import styles from "~/styles/applications.css";
import { isDomainError, readForm } from "~/utils/errors.server";
import { httpStatus } from "../../bff/errors.js";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "開通帳號 | 臺南市政府公務入口網" }];

/** ACC-3: the approval mail's link (?token=) names the account; a pasted code works too. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const token = new URL(request.url).searchParams.get("token") ?? "";
  if (token === "") return json({ token: "", username: null, problem: null });
  try {
    const app = await context.services.applications.signedOut.activationFor(token);
    return json({ token, username: app.username, problem: null });
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return json({ token: "", username: null, problem: e.message });
  }
}

export async function action({ request, context }: ActionFunctionArgs) {
  const form = await readForm(request);
  const token = typeof form.get("token") === "string" ? String(form.get("token")).trim() : "";
  try {
    const r = await context.services.applications.signedOut.activate({
      token,
      password: form.get("password"),
      confirm: form.get("confirm"),
    });
    return json({ ok: true as const, username: r.username, message: "", fields: {} as Record<string, string>, token });
  } catch (e) {
    if (!isDomainError(e)) throw e;
    return json(
      { ok: false as const, username: null, message: e.message, fields: e.fields, token },
      { status: httpStatus(e.code) },
    );
  }
}

export default function Activate() {
  const loaded = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  if (result?.ok) {
    return (
      <SignedOutCard title="開通帳號">
        <div className="alert alert-success" role="status">
          <p>帳號 {result.username} 已開通，現在可以登入。</p>
          <p>
            <Link to="/login">前往登入</Link>
          </p>
        </div>
      </SignedOutCard>
    );
  }
  const token = result?.token ?? loaded.token;
  return (
    <SignedOutCard title="開通帳號">
      <FormMessage id="activate-error" message={result?.message ?? loaded.problem ?? undefined} />
      <Form method="post" noValidate>
        {loaded.username && token === loaded.token ? (
          <>
            <p>
              請為帳號 <strong>{loaded.username}</strong> 設定密碼以開通帳號。
            </p>
            <input type="hidden" name="token" value={token} />
          </>
        ) : (
          <TextField
            label="開通碼"
            name="token"
            hint="審核通過通知信中的開通碼"
            autoCapitalize="none"
            spellCheck={false}
            defaultValue={token}
            error={result?.fields.token}
            required
          />
        )}
        <NewPasswordFields fields={result?.fields ?? {}} />
        <button type="submit" className="btn btn-primary btn-block">
          開通帳號
        </button>
      </Form>
    </SignedOutCard>
  );
}
