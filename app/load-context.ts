import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../bff/container.js";
import type { RequestInfo } from "../bff/http/request-log.js";
import type { Logger } from "../bff/jobs/worker.js";

/** What the Express server hands every loader and action (bff/http/server.ts). */
declare module "@remix-run/node" {
  interface AppLoadContext {
    services: Services;
    cspNonce: string;
    clientIp: string;
    secureCookies: boolean;
    /** Signs the flash-message cookie; derived from DATA_KEY so every app server agrees. */
    cookieSecret: string;
    /** The Node request and response, for oidc-provider's interaction cookies only. */
    http: { req: IncomingMessage; res: ServerResponse };
    /** This request's id (X-Request-Id, 錯誤代碼), route name and account, for its log line (ADR 0029). */
    requestInfo: RequestInfo;
    /** The process's JSON logger: errors are logged with `requestInfo.id`. */
    logger: Logger;
  }
}

export {};
