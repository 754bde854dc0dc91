import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { ItemDetailPage } from "~/components/items-pages";
import { consoleLinks } from "~/components/list-page";
import { detailAction, detailLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "場地管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = (args: LoaderFunctionArgs) => detailLoader("venue")(args);
export const action = (args: ActionFunctionArgs) => detailAction("venue")(args);

export default function Page() {
  return <ItemDetailPage kind="venue" />;
}
