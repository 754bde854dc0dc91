import type { MetaFunction } from "@remix-run/node";
import { consoleLinks, ItemDetailPage } from "~/components/items-pages";
import { detailAction, detailLoader } from "~/utils/items.server";

export const meta: MetaFunction = () => [{ title: "場地管理 | 臺南市政府公務入口網" }];
export const links = consoleLinks;
export const loader = detailLoader("venue");
export const action = detailAction("venue");

export default function Page() {
  return <ItemDetailPage kind="venue" />;
}
