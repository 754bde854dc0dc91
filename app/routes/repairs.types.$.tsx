import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { movedUnder } from "~/utils/moved.server";

/** 報修類型管理 moved to /admin/repair-types (ADR 20). */
export const loader = ({ request }: LoaderFunctionArgs) => movedUnder(request, "/repairs/types", "/admin/repair-types");
export const action = ({ request }: ActionFunctionArgs) => movedUnder(request, "/repairs/types", "/admin/repair-types");
