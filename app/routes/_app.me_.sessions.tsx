import type { ActionFunctionArgs, LinksFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { FormMessage } from "~/components/forms";
import devicesStyles from "~/styles/devices.css";
import { formFailure, formValues, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "登入裝置與授權 | 臺南市政府公務入口網" }];
export const links: LinksFunction = () => [{ rel: "stylesheet", href: devicesStyles }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const { devices } = context.services;
  const [sessions, consents] = await Promise.all([devices.mySessions(actor), devices.myConsents(actor)]);
  return json({ sessions, consents });
}

/** Issue 17 item 6 (ADR 0033): end a device's session, all others, or a system's consent. */
export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  const values = formValues(await readForm(request), ["intent", "session", "clientId"]);
  const { devices } = context.services;
  const done = (message: string) => redirectWithFlash(context, "/me/sessions", message);
  try {
    switch (values.intent) {
      case "end": {
        const r = await devices.endMySession(actor, values);
        return done(`已結束「${r.device}」的登入，該裝置登入的系統也已登出。`);
      }
      case "end-others": {
        const r = await devices.endMyOtherSessions(actor);
        return r.count > 0
          ? done(`已登出其他 ${r.count} 個裝置。`)
          : redirectWithFlash(context, "/me/sessions", { kind: "info", message: "沒有其他登入中的裝置。" });
      }
      case "revoke": {
        const r = await devices.revokeMyConsent(actor, values);
        return done(`已撤銷「${r.name}」的授權；該系統下次登入時會再詢問您是否同意。`);
      }
      default:
        return json({ ok: false as const, message: "不支援的操作。", fields: {}, values }, { status: 400 });
    }
  } catch (e) {
    return formFailure(e, values);
  }
}

type Loaded = ReturnType<typeof useLoaderData<typeof loader>>;

function DeviceItem({ s }: { s: Loaded["sessions"][number] }) {
  return (
    <li>
      <p className="device-name">
        <span>{s.device.label}</span>
        {s.current ? <span className="device-current">目前這個裝置</span> : null}
      </p>
      <dl className="facts">
        <dt>IP 位址</dt>
        <dd>{s.ip || "—"}</dd>
        <dt>登入時間</dt>
        <dd>{formatDateTime(s.signedInAt)}</dd>
        <dt>最近使用</dt>
        <dd>{formatDateTime(s.lastSeenAt)}</dd>
      </dl>
      {s.current ? (
        <Form method="post" action="/logout">
          <button type="submit" className="btn btn-small">
            登出這個裝置
          </button>
        </Form>
      ) : (
        <Form method="post">
          <input type="hidden" name="session" value={s.handle} />
          <button type="submit" name="intent" value="end" className="btn btn-small btn-danger">
            結束這個裝置的登入
          </button>
        </Form>
      )}
    </li>
  );
}

function ConsentItem({ c }: { c: Loaded["consents"][number] }) {
  return (
    <li>
      <p className="device-name">{c.name}</p>
      <p className="muted">授權時間：{formatDateTime(c.grantedAt)}</p>
      <p>可取得：</p>
      <ul className="scope-list">
        {c.scopes.map((s) => (
          <li key={s.scope}>{s.label}</li>
        ))}
      </ul>
      <Form method="post">
        <input type="hidden" name="clientId" value={c.clientId} />
        <button type="submit" name="intent" value="revoke" className="btn btn-small btn-danger">
          撤銷授權
        </button>
      </Form>
    </li>
  );
}

export default function MySessions() {
  const { sessions, consents } = useLoaderData<typeof loader>();
  const failure = useActionData<typeof action>();
  const others = sessions.filter((s) => !s.current).length;
  return (
    <div>
      <p>
        <Link to="/me">‹ 我的帳號</Link>
      </p>
      <h1 className="page-title">登入裝置與授權</h1>
      <FormMessage id="devices-error" message={failure?.message} />

      <section className="card" aria-labelledby="dev-sessions">
        <h2 id="dev-sessions">登入中的裝置</h2>
        <p className="muted">
          看到不認得的裝置時，請結束它的登入並變更密碼。結束後，該裝置登入的其他系統也會一併登出。
        </p>
        <ul className="device-list">
          {sessions.map((s) => (
            <DeviceItem key={s.handle} s={s} />
          ))}
        </ul>
        {others > 0 ? (
          <Form method="post">
            <button type="submit" name="intent" value="end-others" className="btn btn-block">
              登出其他所有裝置（{others} 個）
            </button>
          </Form>
        ) : null}
      </section>

      <section className="card" aria-labelledby="dev-consents">
        <h2 id="dev-consents">已授權的系統</h2>
        <p className="muted">
          您曾同意以公務入口網帳號登入並提供資料的系統。撤銷授權後，該系統保有的存取權立即失效，下次登入時會再詢問您。
        </p>
        {consents.length === 0 ? (
          <p className="empty">目前沒有已授權的系統。</p>
        ) : (
          <ul className="device-list">
            {consents.map((c) => (
              <ConsentItem key={c.clientId} c={c} />
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
