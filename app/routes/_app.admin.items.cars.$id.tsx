import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { ItemDetailPage } from "~/components/items-pages";
import { consoleLinks } from "~/components/list-page";
import { detailAction, detailLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "公務車管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = (args: LoaderFunctionArgs) => detailLoader("car")(args);
export const action = (args: ActionFunctionArgs) => detailAction("car")(args);

export default function Page() {
  return <ItemDetailPage kind="car" />;
}
