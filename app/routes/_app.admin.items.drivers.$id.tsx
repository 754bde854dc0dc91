import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { ItemDetailPage } from "~/components/items-pages";
import { consoleLinks } from "~/components/list-page";
import { detailAction, detailLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "派遣司機管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = (args: LoaderFunctionArgs) => detailLoader("driver")(args);
export const action = (args: ActionFunctionArgs) => detailAction("driver")(args);

export default function Page() {
  return <ItemDetailPage kind="driver" />;
}
