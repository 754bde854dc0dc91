import type { MetaFunction } from "@remix-run/node";
import { useRouteLoaderData } from "@remix-run/react";
import { ConsoleHome } from "~/components/ConsoleNav";
import type { loader as consoleLoader } from "./_app.admin";

export const meta: MetaFunction = () => [{ title: "管理主控台 | 臺南市政府公務入口網" }];

/** The console home: the layout's entries (one registry in the BFF), as cards with counts. */
export default function ConsoleIndex() {
  const data = useRouteLoaderData<typeof consoleLoader>("routes/_app.admin");
  return (
    <div>
      <h1 className="page-title">管理主控台</h1>
      <p className="muted">以下是您可以使用的管理功能；數字為等待您處理的件數。</p>
      <ConsoleHome sections={data?.sections ?? []} />
    </div>
  );
}
