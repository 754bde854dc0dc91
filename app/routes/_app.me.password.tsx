import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { PasswordChangeForm } from "~/components/PasswordChangeForm";
import { changePasswordAction } from "~/utils/password.server";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "變更密碼 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({
    expired: await context.services.applications.self.mustChangePassword(actor),
    // IDN-5: whether AD (網域帳號) took the last password, and why not.
    ad: await context.services.directory.passwordStatus(actor),
  });
}

/** ACC-19 change my password; ACC-17 the page every page leads to once it has expired. */
export const action = (args: ActionFunctionArgs) => changePasswordAction(args, "/me/password");

export default function ChangePassword() {
  const { expired, ad } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  return (
    <div className="narrow">
      <h1 className="page-title">變更密碼</h1>
      {expired ? (
        <div className="alert alert-error" role="alert">
          您的密碼已過期，請先變更密碼後再繼續使用公務入口網。
        </div>
      ) : null}
      {ad?.state === "refused" ? (
        <div className="alert alert-error" role="alert">
          網域帳號（AD）未接受您最近設定的密碼：{ad.reason}
          。入口網已使用新密碼，但登入其他系統仍需舊密碼；請再設定一組符合 AD 密碼原則的密碼。
        </div>
      ) : ad?.state === "pending" ? (
        <p className="muted" role="status">
          新密碼正在同步到網域帳號（AD），完成前登入其他系統仍使用舊密碼。
        </p>
      ) : null}
      <section className="card" aria-label="變更密碼">
        <PasswordChangeForm failure={failure} />
      </section>
      {expired ? null : (
        <p>
          <Link to="/me">回我的帳號</Link>
        </p>
      )}
    </div>
  );
}
