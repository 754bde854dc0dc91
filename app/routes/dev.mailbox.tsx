import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { useLoaderData } from "@remix-run/react";
import { formatDateTime } from "~/utils/format";
import { getActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "開發用信箱 | 臺南市政府公務入口網" }];

/** Mail and SMS sent without SMTP_URL; absent (404) once SMTP is configured or in production. */
export async function loader({ request, context }: LoaderFunctionArgs) {
  if (!context.services.devMailbox.enabled) throw new Response("找不到這個頁面", { status: 404 });
  // Every code and reset mail is here: only this machine, or a system admin, may read it.
  const loopback = ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(context.clientIp);
  if (!loopback && (await getActor(request, context))?.role !== "sys_admin") {
    throw new Response("找不到這個頁面", { status: 404 });
  }
  // Without PUBLIC_ORIGIN a mail's links are paths: this page lends them the request's origin.
  return json({ messages: await context.services.devMailbox.list(), origin: new URL(request.url).origin });
}

/** A mail body with its links made absolute and clickable (paths get the page's origin). */
function Body({ text, origin }: { text: string; origin: string }) {
  const parts = text.split(/(https?:\/\/\S+|(?<=^|\s)\/[^\s]*)/g);
  return (
    <pre>
      {parts.map((p, i) => {
        if (!/^(https?:\/\/|\/)/.test(p)) return p;
        const href = p.startsWith("/") ? `${origin}${p}` : p;
        return (
          <a key={i} href={href}>
            {href}
          </a>
        );
      })}
    </pre>
  );
}

export default function DevMailbox() {
  const { messages, origin } = useLoaderData<typeof loader>();
  return (
    <main className="app-main narrow" id="main">
      <h1 className="page-title">開發用信箱</h1>
      <p className="muted">尚未設定 SMTP_URL：系統寄出的電子郵件與簡訊都會出現在這裡。</p>
      {messages.length === 0 ? (
        <p className="empty">目前沒有資料</p>
      ) : (
        <ul className="mail-list">
          {messages.map((m) => (
            <li key={m.id} className="card">
              <p className="muted">
                {m.channel === "sms" ? "簡訊" : "郵件"}・{formatDateTime(m.created_at)}・收件者 {m.to_address}
              </p>
              {m.subject ? <h2>{m.subject}</h2> : null}
              <Body text={m.body} origin={origin} />
            </li>
          ))}
        </ul>
      )}
    </main>
  );
}
