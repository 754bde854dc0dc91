import type { ServerBuild } from "@remix-run/node";
import type { Logger } from "../jobs/worker.js";
import { errorFields } from "../logger.js";
import type { RequestInfo } from "./request-log.js";
import { type RouteHandler, wrapRouteHandlers } from "./wrap-routes.js";

/** The part of the load context this module reads (app/load-context.ts). */
interface ObservedContext {
  requestInfo?: RequestInfo;
}

/** The JSON a 500 carries to the error boundary: the request id and nothing else (no message, no stack). */
export interface ServerErrorData {
  requestId: string;
}

/**
 * Issue 15 item 4 (ADR 0029), around every loader and action:
 *
 * - the request's route is named by the deepest route whose loader or action ran (a document
 *   request runs the loaders of all matched routes; entry.server.tsx then names the deepest
 *   match, loader or not);
 * - an unexpected error (anything but a thrown Response) is logged as JSON with the request id
 *   and the stack, and answered as a 500 Response whose data is only `{ requestId }`. The error
 *   boundary shows that id as 錯誤代碼 on a full page load and on a client-side navigation
 *   alike: a sanitised Error reaching the browser would carry no id.
 *
 * Applied outside answerDatabaseOutages, whose 503 is a Response and passes through.
 */
export function observeRoutes(build: ServerBuild, logger: Logger): ServerBuild {
  const depth = routeDepths(build);
  const wrap = (fn: RouteHandler, routeId: string): RouteHandler => {
    return async (args) => {
      const info = (args.context as ObservedContext).requestInfo;
      if (info && (depth.get(info.route ?? "") ?? -1) < (depth.get(routeId) ?? 0)) info.route = routeId;
      try {
        return await fn(args);
      } catch (e) {
        if (isResponse(e) || args.request.signal.aborted) throw e;
        const requestId = info?.id ?? "";
        logger.error("request failed", {
          requestId,
          route: routeId,
          method: args.request.method,
          ...errorFields(e),
        });
        throw serverErrorResponse(requestId);
      }
    };
  };
  return wrapRouteHandlers(build, wrap);
}

export function serverErrorResponse(requestId: string): globalThis.Response {
  const data: ServerErrorData = { requestId };
  return new globalThis.Response(JSON.stringify(data), {
    status: 500,
    headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store" },
  });
}

/** How many parents a route has (root is 0): the deepest route that ran names the request. */
function routeDepths(build: ServerBuild): Map<string, number> {
  const depths = new Map<string, number>();
  const depthOf = (id: string | undefined, guard = 0): number => {
    if (!id || guard > 64) return -1;
    const known = depths.get(id);
    if (known !== undefined) return known;
    const d = depthOf(build.routes[id]?.parentId, guard + 1) + 1;
    depths.set(id, d);
    return d;
  };
  for (const id of Object.keys(build.routes)) depthOf(id);
  return depths;
}

/** By shape, as Remix does: the build has its own copy of the Response class in some setups. */
function isResponse(v: unknown): v is globalThis.Response {
  const r = v as globalThis.Response | null;
  return (
    r != null &&
    typeof r.status === "number" &&
    typeof r.statusText === "string" &&
    typeof r.headers === "object" &&
    typeof r.body !== "undefined"
  );
}
