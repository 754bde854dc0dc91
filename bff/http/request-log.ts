import { randomUUID } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import type { Logger } from "../jobs/worker.js";

/**
 * Issue 15 item 4 (ADR 0029): every request gets an id, echoed in `X-Request-Id` and written
 * on its one log line, on every error it causes and on the error page (錯誤代碼), so a user's
 * report leads straight to the log lines.
 */
export interface RequestInfo {
  readonly id: string;
  /** The Remix route id (routes/_app.accounts.$id) or a fixed name (static, oidc, /healthz); never the raw path. */
  route?: string;
  /** Set once the request's session is known (app/utils/session.server.ts). */
  accountId?: number;
}

/** What a proxy's id may look like: nginx's $request_id (32 hex), a UUID, a trace id. Nothing a log parser trips on. */
const ID_FORMAT = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** Where the request's RequestInfo lives (res.locals), for the Remix load context and the error handler. */
export const requestInfoOf = (res: Response): RequestInfo | undefined =>
  res.locals.requestInfo as RequestInfo | undefined;

/**
 * The id a trusted proxy sent, or a new one. Only the peer that Express's "trust proxy"
 * trusts (TRUST_PROXY: a hop count or the proxies' addresses) may name it: a client talking
 * to us directly could otherwise pick an id that collides with someone else's to muddle the
 * log, or write arbitrary text into it.
 */
export function requestIdFor(req: Request): string {
  const trust = req.app.get("trust proxy fn") as (addr: string | undefined, i: number) => boolean;
  if (trust(req.socket.remoteAddress, 0)) {
    const sent = req.get("x-request-id")?.trim();
    if (sent && ID_FORMAT.test(sent)) return sent;
  }
  return randomUUID();
}

export interface RequestObserver {
  /** Called once per request when its response is finished or its connection closed. */
  (r: { route: string; method: string; status: number; seconds: number }): void;
}

/** Load balancer probes are not logged when they pass: one every few seconds per balancer would bury the rest. */
const QUIET_WHEN_OK = new Set(["/healthz", "/readyz"]);

/**
 * First middleware of the app: the request id, its header, and the request's one JSON log
 * line (method, route, status, duration, account id) when the response ends. `observe`
 * feeds the duration histogram (bff/metrics): no database work per request.
 */
export function requestLog(logger: Logger, observe?: RequestObserver) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    const info: RequestInfo = { id: requestIdFor(req), route: QUIET_WHEN_OK.has(req.path) ? req.path : undefined };
    res.locals.requestInfo = info;
    res.setHeader("X-Request-Id", info.id);
    res.once("close", () => {
      const seconds = (performance.now() - started) / 1000;
      const route = info.route ?? "unmatched";
      const status = res.statusCode;
      observe?.({ route, method: req.method, status, seconds });
      if (QUIET_WHEN_OK.has(route) && status < 400) return;
      logger.info("request", {
        requestId: info.id,
        method: req.method,
        route,
        status,
        ms: Math.round(seconds * 10_000) / 10,
        ...(info.accountId !== undefined ? { accountId: info.accountId } : {}),
        // The client went away before the whole answer was sent.
        ...(res.writableFinished ? {} : { aborted: true }),
      });
    });
    next();
  };
}

/** Names the route for requests that never reach Remix (static files, /oidc). */
export function routeName(name: string | undefined) {
  return (_req: Request, res: Response, next: NextFunction) => {
    const info = requestInfoOf(res);
    if (info) info.route = name;
    next();
  };
}
