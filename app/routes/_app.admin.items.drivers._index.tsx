import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { ItemListPage } from "~/components/items-pages";
import { consoleLinks } from "~/components/list-page";
import { listLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "派遣司機清單管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = (args: LoaderFunctionArgs) => listLoader("driver")(args);

export default function Page() {
  return <ItemListPage kind="driver" />;
}
