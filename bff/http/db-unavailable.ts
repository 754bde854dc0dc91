import type { ServerBuild } from "@remix-run/node";
import type { NextFunction, Request, Response } from "express";
import { isDatabaseUnavailable } from "../../db/unavailable.js";
import type { Logger } from "../jobs/worker.js";
import { type RouteHandler, wrapRouteHandlers } from "./wrap-routes.js";

/**
 * Issue 13 item 2: while PostgreSQL is away (restart, failover, network cut or stall) a page
 * says so with a 503 and `Retry-After`, instead of the generic 500 「系統暫時發生問題」. The
 * pool's timeouts (db/pool-options.ts) make the failure come within seconds; this turns it
 * into an answer a user (and a load balancer) can act on.
 */
export const RETRY_AFTER_SECONDS = 5;

/** The page's heading (app/root.tsx ErrorBoundary shows it for every 503). */
export const DATABASE_UNAVAILABLE_TITLE = "資料庫暫時無法連線，請稍後再試";

/** A form post that failed this way may not have been saved: the user must know to send it again. */
const DETAIL_READ = "系統會自動恢復，請稍候幾秒再重新整理這個頁面。";
const DETAIL_WRITE = "您剛才送出的資料沒有儲存成功，請稍候幾秒，回上一頁後再送出一次。";

/** The part of the load context this module reads (app/load-context.ts). */
interface ObservedContext {
  requestInfo?: { id: string };
}

/**
 * Every route's loader and action, wrapped: an error that means the database is unavailable
 * is thrown on as a 503 Response, which Remix answers as it answers any thrown Response — the
 * error boundary for documents, a caught 503 for `?_data` and fetcher requests. Anything else
 * passes through untouched.
 */
export function answerDatabaseOutages(build: ServerBuild, logger: Logger): ServerBuild {
  const guard = (fn: RouteHandler, write: boolean): RouteHandler => {
    return async (args) => {
      try {
        return await fn(args);
      } catch (e) {
        if (!isDatabaseUnavailable(e)) throw e;
        const { pathname } = new URL(args.request.url);
        logger.error("database unavailable; answered 503", {
          requestId: (args.context as ObservedContext | undefined)?.requestInfo?.id,
          path: pathname,
          method: args.request.method,
          error: e instanceof Error ? e.message : String(e),
        });
        throw databaseUnavailableResponse(write);
      }
    };
  };
  return wrapRouteHandlers(build, (fn, _routeId, kind) => guard(fn, kind === "action"));
}

export function databaseUnavailableResponse(write: boolean): globalThis.Response {
  return new globalThis.Response(write ? DETAIL_WRITE : DETAIL_READ, {
    status: 503,
    headers: {
      "Content-Type": "text/plain; charset=utf-8",
      "Retry-After": String(RETRY_AFTER_SECONDS),
      "Cache-Control": "no-store",
    },
  });
}

/**
 * Remix keeps a thrown Response's status for a document but not its headers, so the
 * `Retry-After` of a 503 page is added here, just before the headers go out.
 */
export function retryAfterOn503(_req: Request, res: Response, next: NextFunction) {
  const writeHead = res.writeHead;
  res.writeHead = function (this: Response, ...args: Parameters<typeof writeHead>) {
    const status = typeof args[0] === "number" ? args[0] : res.statusCode;
    if (status === 503 && !res.hasHeader("Retry-After")) res.setHeader("Retry-After", String(RETRY_AFTER_SECONDS));
    return writeHead.apply(this, args);
  } as typeof writeHead;
  next();
}
