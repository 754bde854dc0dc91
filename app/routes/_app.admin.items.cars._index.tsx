import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { ItemListPage } from "~/components/items-pages";
import { consoleLinks } from "~/components/list-page";
import { listLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "公務車清單管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = (args: LoaderFunctionArgs) => listLoader("car")(args);

export default function Page() {
  return <ItemListPage kind="car" />;
}
