import type { LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { AppTiles } from "~/components/app-list";
import ssoStyles from "~/styles/sso.css";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: ssoStyles }];

export const meta: MetaFunction = () => [{ title: "首頁 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const [home, apps] = await Promise.all([context.services.home.home(actor), context.services.appList.forUser(actor)]);
  return json({ ...home, apps });
}

export default function Home() {
  const home = useLoaderData<typeof loader>();
  return (
    <div className="home">
      <h1 className="page-title">
        {home.greeting}，{home.name}
      </h1>
      <p className="muted">
        {home.agencyName}
        {home.unitName !== home.agencyName ? ` › ${home.unitName}` : ""}
      </p>

      <section aria-labelledby="waiting-title" className="card">
        <h2 id="waiting-title">待辦事項</h2>
        {home.counts.length === 0 ? (
          <p className="empty">目前沒有待辦事項。</p>
        ) : (
          <ul className="count-grid">
            {home.counts.map((c) => (
              <li key={c.key}>
                <Link to={c.href}>
                  <span className="count">{c.count}</span>
                  <span>{c.label}</span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="quick-title" className="card">
        <h2 id="quick-title">常用功能</h2>
        <ul className="quick-links">
          <li>
            <Link to="/book">預約場地或公務車</Link>
          </li>
          <li>
            <Link to="/repairs">線上報修</Link>
          </li>
          <li>
            <Link to="/reviews">待我審核</Link>
          </li>
          <li>
            <Link to="/me">我的帳號</Link>
          </li>
        </ul>
      </section>

      <section aria-labelledby="apps-title" className="card">
        <h2 id="apps-title">
          <Link to="/apps">應用程式列表</Link>
        </h2>
        <AppTiles apps={home.apps} />
      </section>

      <section aria-labelledby="systems-title" className="card">
        <h2 id="systems-title">行政資訊系統</h2>
        <ul className="widget-grid">
          {home.widgets.map((w) => (
            <li key={w.key}>
              <span className="widget-label">{w.label}</span>
              {w.items === null ? (
                <span className="widget-off">未連線</span>
              ) : (
                w.items.map((i) => (
                  <span key={i.label} className="widget-item">
                    {i.label} <strong>{i.value}</strong>
                  </span>
                ))
              )}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
