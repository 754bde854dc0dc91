import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { PushSettings } from "~/components/PushSettings";
import { formFailure, readForm } from "~/utils/errors.server";
import { redirectWithFlash } from "~/utils/flash.server";
import { formatDateTime } from "~/utils/format";
import { requireActor } from "~/utils/session.server";

export const meta: MetaFunction = () => [{ title: "通知設定 | 臺南市政府公務入口網" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  return json({ publicKey: context.services.push.publicKey, devices: await context.services.push.devices(actor) });
}

export async function action({ request, context }: ActionFunctionArgs) {
  const actor = await requireActor(request, context);
  let input: Record<string, unknown>;
  if ((request.headers.get("content-type") ?? "").includes("application/json")) {
    const body: unknown = await request.json().catch(() => null);
    input = typeof body === "object" && body !== null ? (body as Record<string, unknown>) : {};
  } else {
    input = Object.fromEntries(await readForm(request));
  }
  try {
    if (input.intent === "subscribe") {
      const sub = (input.subscription ?? {}) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } };
      await context.services.push.subscribe(actor, { ...sub, label: input.label });
      return json({ ok: true as const, message: "已在這個裝置開啟通知。" });
    }
    if (input.intent === "remove") {
      await context.services.push.remove(actor, input.id);
      return redirectWithFlash(context, "/me/notifications", "已移除裝置。");
    }
    if (input.intent === "test") {
      await context.services.push.sendTest(actor);
      return redirectWithFlash(context, "/me/notifications", "已送出測試通知，請稍候。");
    }
    return json({ ok: false as const, message: "不支援的操作。" }, 400);
  } catch (e) {
    return formFailure(e, {});
  }
}

export default function Notifications() {
  const { publicKey, devices } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  return (
    <div>
      <p>
        <Link to="/me">‹ 我的</Link>
      </p>
      <h1 className="page-title">通知設定</h1>
      <section className="card" aria-labelledby="push-this">
        <h2 id="push-this">這個裝置</h2>
        <p className="muted">
          開啟後，有新的借用申請待您審核，或您的申請有結果時，會立即通知您；審核通知可直接按「核准」或「駁回」。
        </p>
        <PushSettings publicKey={publicKey} />
      </section>
      <section className="card" aria-labelledby="push-devices">
        <h2 id="push-devices">已開啟通知的裝置</h2>
        {result ? (
          <p className={result.ok ? "alert alert-success" : "alert alert-error"} role="status">
            {result.message}
          </p>
        ) : null}
        {devices.length === 0 ? (
          <p className="empty">目前沒有資料</p>
        ) : (
          <ul className="record-list">
            {devices.map((d) => (
              <li key={d.id}>
                <span>{d.device_label || d.service}</span>
                <span className="muted">開啟於 {formatDateTime(d.created_at)}</span>
                <Form method="post">
                  <input type="hidden" name="id" value={d.id} />
                  <button
                    className="btn btn-small"
                    name="intent"
                    value="remove"
                    type="submit"
                    aria-label={`移除 ${d.device_label || d.service}`}
                  >
                    移除
                  </button>
                </Form>
              </li>
            ))}
          </ul>
        )}
        {devices.length > 0 ? (
          <Form method="post">
            <button className="btn" name="intent" value="test" type="submit">
              傳送測試通知給自己
            </button>
          </Form>
        ) : null}
      </section>
    </div>
  );
}
