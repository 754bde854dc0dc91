import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { SignedOutCard } from "~/components/applications";
import styles from "~/styles/applications.css";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: styles }];
export const meta: MetaFunction = () => [{ title: "機關管理員查詢 | 臺南市政府公務入口網" }];

/** ACC-18: anyone picks an agency and sees its admins: name, unit, title, official phone. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const agency = new URL(request.url).searchParams.get("agency") ?? "";
  const apps = context.services.applications;
  const [org, admins] = await Promise.all([apps.orgChoices(), apps.signedOut.agencyAdmins(agency)]);
  const chosen = org.agencies.find((a) => String(a.id) === agency) ?? null;
  return json({ agencies: org.agencies, chosen, admins: chosen ? admins : [] });
}

export default function AgencyAdmins() {
  const { agencies, chosen, admins } = useLoaderData<typeof loader>();
  return (
    <SignedOutCard title="機關管理員查詢" wide>
      <Form method="get">
        <div className="field">
          <label htmlFor="f-agency">機關</label>
          <select id="f-agency" name="agency" defaultValue={chosen ? String(chosen.id) : ""}>
            <option value="">請選擇機關</option>
            {agencies.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" className="btn btn-primary btn-block">
          查詢
        </button>
      </Form>
      {chosen ? (
        <section aria-labelledby="admins-title">
          <h2 id="admins-title">{chosen.name}的機關管理者</h2>
          {admins.length === 0 ? (
            <p className="empty">此機關目前沒有機關管理者，請洽系統管理者。</p>
          ) : (
            <ul className="record-list">
              {admins.map((a, i) => (
                <li key={i}>
                  <strong>{a.name}</strong>
                  <span>
                    {a.unitName}・{a.title || "—"}
                  </span>
                  <span>
                    {a.office_phone || "—"}
                    {a.office_ext ? ` 分機 ${a.office_ext}` : ""}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
      ) : null}
    </SignedOutCard>
  );
}
