import type { LinksFunction, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Outlet, useLoaderData } from "@remix-run/react";
import { ConsoleNav } from "~/components/ConsoleNav";
import consoleShellStyles from "~/styles/console-shell.css";
import { requireActor } from "~/utils/session.server";

export const links: LinksFunction = () => [{ rel: "stylesheet", href: consoleShellStyles }];

/**
 * 管理主控台 shell (ADR 20): wraps every /admin/* page with the console navigation. It only
 * decides what is shown (from the BFF's console registry); each page keeps its own checks.
 * Someone with no console function gets 404, not an empty console.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const actor = await requireActor(request, context);
  const sections = await context.services.console.sections(actor);
  if (sections.length === 0) throw new Response("找不到資料", { status: 404 });
  return json({ sections });
}

export default function AdminConsole() {
  const { sections } = useLoaderData<typeof loader>();
  return (
    <div className="console-shell">
      <ConsoleNav sections={sections} />
      <div className="console-body">
        <Outlet />
      </div>
    </div>
  );
}
