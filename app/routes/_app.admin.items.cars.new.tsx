import type { ActionFunctionArgs, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { ItemNewPage } from "~/components/items-pages";
import { consoleLinks } from "~/components/list-page";
import { newAction, newLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "新增公務車 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = (args: LoaderFunctionArgs) => newLoader("car")(args);
export const action = (args: ActionFunctionArgs) => newAction("car")(args);

export default function Page() {
  return <ItemNewPage kind="car" />;
}
