import type { Services } from "../bff/container.js";

/** What the Express server hands every loader and action (bff/http/server.ts). */
declare module "@remix-run/node" {
  interface AppLoadContext {
    services: Services;
    cspNonce: string;
    clientIp: string;
    secureCookies: boolean;
  }
}

export {};
