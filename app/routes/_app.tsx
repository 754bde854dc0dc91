import type { LoaderFunctionArgs } from "@remix-run/node";
import { json, redirect } from "@remix-run/node";
import { Form, Link, Outlet, useLoaderData } from "@remix-run/react";
import { useEffect } from "react";
import { AppNav } from "~/components/AppNav";
import { label, roleLabels } from "~/utils/labels";
import { requireActor } from "~/utils/session.server";

export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const [passwordDaysLeft, reviewCount, mustChange] = await Promise.all([
    context.services.home.passwordDaysLeft(actor),
    // Everything waiting for my decision, whatever its kind (the approvals inbox).
    context.services.inbox.count(actor),
    context.services.applications.self.mustChangePassword(actor),
  ]);
  // ACC-17: an expired password sends every page to the change-password page until changed.
  if (mustChange && new URL(request.url).pathname !== "/me/password") throw redirect("/me/password?expired=1");
  return json({
    name: actor.name,
    role: label(roleLabels, actor.role),
    passwordDaysLeft,
    reviewCount,
    isAdmin: actor.role !== "user",
    isSysAdmin: actor.role === "sys_admin",
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
  const { name, role, passwordDaysLeft, reviewCount, isAdmin, isSysAdmin } = useLoaderData<typeof loader>();
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
          {/* ACC-10: the account console, for agency and system admins (desktop). */}
          {isAdmin ? (
            <Link to="/admin/accounts" className="btn btn-small btn-ghost">
              帳號管理
            </Link>
          ) : null}
          {/* IDN-5: AD 同步管理作業, for system admins (desktop). */}
          {isSysAdmin ? (
            <Link to="/admin/directory" className="btn btn-small btn-ghost">
              AD 同步
            </Link>
          ) : null}
          {/* IDN-6/8: 介接申請審核, clients and the app list, for system admins (desktop). */}
          {isSysAdmin ? (
            <Link to="/admin/sso-applications" className="btn btn-small btn-ghost">
              單一登入
            </Link>
          ) : null}
          <span>
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
