import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AppTiles } from "~/components/app-list";
import ssoStyles from "~/styles/sso.css";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: ssoStyles }];
export const meta: MetaFunction = () => [{ title: "應用程式列表 | 臺南市政府公務入口網" }];

/** IDN-8: the systems and links a signed-in user may open; systems open already signed in. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({ apps: await context.services.appList.forUser(actor), admin: actor.role === "sys_admin" });
}

export default function Apps() {
  const { apps, admin } = useLoaderData<typeof loader>();
  return (
    <div className="narrow">
      <h1 className="page-title">應用程式列表</h1>
      <section className="card" aria-labelledby="apps-title">
        <h2 id="apps-title">應用程式</h2>
        <AppTiles apps={apps} />
      </section>
      <section className="card" aria-labelledby="apps-more">
        <h2 id="apps-more">系統介接</h2>
        <ul className="quick-links">
          <li>
            <Link to="/sso/apply">應用系統服務介接申請</Link>
          </li>
          {admin ? (
            <>
              <li>
                <Link to="/admin/apps">首頁應用程式管理</Link>
              </li>
              <li>
                <Link to="/admin/sso-applications">介接申請審核</Link>
              </li>
              <li>
                <Link to="/admin/sso-clients">單一登入用戶端管理</Link>
              </li>
            </>
          ) : null}
        </ul>
      </section>
    </div>
  );
}
