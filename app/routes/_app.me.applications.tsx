import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { reviewerText, UnitPicker } from "~/components/applications";
import { FormMessage, TextAreaField, TextField } from "~/components/forms";
import styles from "~/styles/applications.css";
import { applicationResultLabels, applicationTypeLabels } from "~/utils/applications";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { label } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "我的帳號申請 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const apps = context.services.applications;
  const [mine, org] = await Promise.all([apps.self.myApplications(actor), apps.orgChoices()]);
  return json({ mine, org, isUser: actor.role === "user" });
}

/** ACC-7 機關管理者申請 and ACC-8 機關異動: each reviewed by the right agency's admins. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const form = await readForm(request);
  const values = formValues(form, ["intent", "agencyId", "unitId", "title", "reason"]);
  const self = context.services.applications.self;
  try {
    if (values.intent === "role") {
      const { reviewer } = await self.applyForAgencyAdmin(actor, values);
      return redirectWithFlash(
        context,
        "/me/applications",
        `機關管理者申請已送出，${reviewerText(reviewer, "本機關")}`,
      );
    }
    const { reviewer } = await self.applyForAgencyChange(actor, values);
    return redirectWithFlash(context, "/me/applications", `機關異動申請已送出，${reviewerText(reviewer, "新機關")}`);
  } catch (e) {
    return formFailure(e, values);
  }
}

export default function MyApplications() {
  const { mine, org, isUser } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const failedIntent = failure?.values.intent;
  return (
    <div className="narrow">
      <h1 className="page-title">我的帳號申請</h1>
      <section className="card" aria-labelledby="mine-title">
        <h2 id="mine-title">申請紀錄</h2>
        {mine.length === 0 ? (
          <p className="empty">目前沒有申請</p>
        ) : (
          <ul className="record-list">
            {mine.map((a) => (
              <li key={a.id}>
                <span className="record-time">{formatDateTime(a.submitted_at)}</span>
                <span>
                  {label(applicationTypeLabels, a.type)}・{a.agencyName} › {a.unitName}
                </span>
                <span className={a.status === "pending" ? "result-pending" : undefined}>
                  {label(applicationResultLabels, a.status)}
                  {a.status === "scheduled" && a.effective_at ? `（${formatDateTime(a.effective_at)} 生效）` : ""}
                  {a.decision_comment ? `：${a.decision_comment}` : ""}
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {isUser ? (
        <section className="card" aria-labelledby="role-title">
          <h2 id="role-title">申請成為機關管理者</h2>
          <FormMessage id="role-error" message={failedIntent === "role" ? failure?.message : undefined} />
          <Form method="post" noValidate>
            <input type="hidden" name="intent" value="role" />
            <TextAreaField
              label="申請原因"
              name="reason"
              id="f-role-reason"
              maxLength={500}
              rows={3}
              defaultValue={failedIntent === "role" ? failure?.values.reason : undefined}
              error={failedIntent === "role" ? failure?.fields.reason : undefined}
              required
            />
            <button type="submit" className="btn btn-primary">
              送出申請
            </button>
          </Form>
        </section>
      ) : null}
      <section className="card" aria-labelledby="agency-title">
        <h2 id="agency-title">機關異動申請</h2>
        <p className="field-hint">調任其他機關時申請；由新機關的機關管理者審核。同機關內的單位異動請洽本機關管理者。</p>
        <FormMessage id="agency-error" message={failedIntent === "agency" ? failure?.message : undefined} />
        <Form method="post" noValidate>
          <input type="hidden" name="intent" value="agency" />
          <UnitPicker
            org={org}
            agencyLabel="調入機關"
            unitLabel="調入單位"
            agencyId={failedIntent === "agency" ? failure?.values.agencyId : undefined}
            unitId={failedIntent === "agency" ? failure?.values.unitId : undefined}
            error={failedIntent === "agency" ? failure?.fields.unitId : undefined}
          />
          <TextField
            label="新職稱"
            name="title"
            maxLength={50}
            defaultValue={failedIntent === "agency" ? failure?.values.title : undefined}
            error={failedIntent === "agency" ? failure?.fields.title : undefined}
            required
          />
          <TextAreaField
            label="申請原因"
            name="reason"
            id="f-agency-reason"
            maxLength={500}
            rows={3}
            defaultValue={failedIntent === "agency" ? failure?.values.reason : undefined}
            error={failedIntent === "agency" ? failure?.fields.reason : undefined}
            required
          />
          <button type="submit" className="btn btn-primary">
            送出申請
          </button>
        </Form>
      </section>
      <p>
        <Link to="/me">回我的帳號</Link>
      </p>
    </div>
  );
}
