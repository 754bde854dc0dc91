import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { movedUnder } from "~/utils/moved.server";

/** 物品管理 moved to /admin/items (ADR 20); /items/images and /items/people stay (their own routes win). */
export const loader = ({ request }: LoaderFunctionArgs) => movedUnder(request, "/items", "/admin/items");
export const action = ({ request }: ActionFunctionArgs) => movedUnder(request, "/items", "/admin/items");
