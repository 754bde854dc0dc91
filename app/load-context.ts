import type { IncomingMessage, ServerResponse } from "node:http";
import type { Services } from "../bff/container.js";

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
  }
}

export {};
