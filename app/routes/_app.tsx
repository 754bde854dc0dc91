import type { LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, Outlet, useLoaderData } from "@remix-run/react";
import { useEffect } from "react";
import { AppNav } from "~/components/AppNav";
import { label, roleLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const [passwordDaysLeft, reviewCount, mustChange, hasConsole] = await Promise.all([
    context.services.home.passwordDaysLeft(actor),
    // Everything waiting for my decision, whatever its kind (the approvals inbox).
    context.services.inbox.count(actor),
    context.services.applications.self.mustChangePassword(actor),
    // ADR 20: one 管理主控台 link for anyone with at least one console function.
    context.services.console.hasAny(actor),
  ]);
  // ACC-17: an expired password sends every page to the change-password page until changed.
  if (mustChange && new URL(request.url).pathname !== "/me/password") throw redirect("/me/password?expired=1");
  return json({
    name: actor.name,
    role: label(roleLabels, actor.role),
    passwordDaysLeft,
    reviewCount,
    hasConsole,
  });
}

/** ACC-17: on every signed-in page. */
function PasswordReminder({ days }: { days: number | null }) {
  if (days === null) return null;
  const urgent = days <= 14;
  return (
    <p className={`pw-reminder${urgent ? " pw-reminder-urgent" : ""}`}>
      {days >= 0 ? `提醒您：密碼將於 ${days} 天後到期` : "提醒您：密碼已過期，請立即變更密碼"}
      {urgent ? (
        <>
          {" "}
          <Link to="/me/password">變更密碼</Link>
        </>
      ) : null}
    </p>
  );
}

export default function AppLayout() {
  const { name, role, passwordDaysLeft, reviewCount, hasConsole } = useLoaderData<typeof loader>();
  // The app icon's badge (Badging API, where the browser has it) shows what waits for me.
  useEffect(() => {
    const nav = navigator as Navigator & {
      setAppBadge?: (n: number) => Promise<void>;
      clearAppBadge?: () => Promise<void>;
    };
    if (reviewCount > 0) void nav.setAppBadge?.(reviewCount).catch(() => undefined);
    else void nav.clearAppBadge?.().catch(() => undefined);
  }, [reviewCount]);
  return (
    <div className="app">
      <a href="#main" className="skip-link">
        跳到主要內容
      </a>
      <header className="app-header">
        <Link to="/" className="app-title">
          <img src="/icons/icon-192.png" alt="" width="32" height="32" />
          <span>臺南市政府公務入口網</span>
        </Link>
        <div className="app-user">
          {hasConsole ? (
            <Link to="/admin" className="btn btn-small btn-ghost">
              管理主控台
            </Link>
          ) : null}
          <span className="app-who">
            {name}
            <span className="role">（{role}）</span>
          </span>
          <Form method="post" action="/logout">
            <button type="submit" className="btn btn-small btn-ghost">
              登出
            </button>
          </Form>
        </div>
      </header>
      <PasswordReminder days={passwordDaysLeft} />
      <AppNav reviewCount={reviewCount} />
      <main className="app-main" id="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
